/**
 * zod/mini loads no locale: without the English one every built-in message (unknown keys, wrong
 * types, enum options) would read "Invalid input". Import this module, for its side effect, in
 * every module that parses with zod. Do not re-export `z` from a shared module instead: esbuild
 * then keeps the whole namespace (all of zod/mini, 420 KiB instead of 23 KiB for the folders schemas).
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
