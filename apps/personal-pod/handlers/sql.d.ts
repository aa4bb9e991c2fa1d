/** SQL files bundled as text (the handler bundler's `.sql` loader). */
declare module '*.sql' {
  const text: string;
  export default text;
}
