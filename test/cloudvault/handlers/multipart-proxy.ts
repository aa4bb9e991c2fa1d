/**
 * A loopback proxy in front of the S3 emulator (s3rver) that adds the two multipart calls s3rver
 * does not implement: ListMultipartUploads (`GET /<bucket>?uploads`) and AbortMultipartUpload
 * (`DELETE /<bucket>/<key>?uploadId=`). It learns uploads from the CreateMultipartUpload responses
 * that pass through it and forgets them on complete or abort; everything else is forwarded as is.
 * `backdate()` changes an upload's `Initiated` time, which a real S3 would never allow, so tests
 * can produce a stale upload.
 *
 * TODO(lead): fold this into local/s3-emulator.ts; the files API's abort route needs
 * AbortMultipartUpload too.
 */
import { IncomingMessage, Server, ServerResponse, createServer, request } from 'http';
import { AddressInfo } from 'net';

export interface TrackedUpload {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  initiated: Date;
}

export interface MultipartProxy {
  /** Point the S3 client (S3_ENDPOINT) here. */
  readonly endpoint: string;
  /** Open uploads by id. */
  readonly uploads: ReadonlyMap<string, TrackedUpload>;
  /** Upload ids aborted through the proxy. */
  readonly aborted: readonly string[];
  /** Query strings of the ListMultipartUploads requests. */
  readonly listRequests: readonly string[];
  backdate(uploadId: string, initiated: Date): void;
  stop(): Promise<void>;
}

const XML = 'application/xml';
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `pageSize` caps ListMultipartUploads pages (S3: 1000) so tests can exercise pagination. */
export async function startMultipartProxy(target: string, options: { pageSize?: number } = {}): Promise<MultipartProxy> {
  const pageSize = options.pageSize ?? 1000;
  const targetUrl = new URL(target);
  const uploads = new Map<string, TrackedUpload>();
  const aborted: string[] = [];
  const listRequests: string[] = [];

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err) => {
      res.writeHead(500, { 'content-type': XML });
      res.end(`<Error><Code>InternalError</Code><Message>${escapeXml(String(err))}</Message></Error>`);
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const [, bucket = '', ...keyParts] = url.pathname.split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    const onBucket = key === ''; // `/<bucket>` or `/<bucket>/`
    const uploadId = url.searchParams.get('uploadId');

    if (req.method === 'GET' && onBucket && url.searchParams.has('uploads')) {
      listRequests.push(url.search);
      return listUploads(res, bucket, url.searchParams);
    }
    if (req.method === 'DELETE' && uploadId !== null) {
      const upload = uploads.get(uploadId);
      if (!upload || upload.bucket !== bucket || upload.key !== key) {
        res.writeHead(404, { 'content-type': XML });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>${escapeXml(uploadId)}</UploadId></Error>`);
        return;
      }
      uploads.delete(uploadId);
      aborted.push(uploadId);
      res.writeHead(204);
      res.end();
      return;
    }

    const { status, headers, body } = await forward(req);
    if (req.method === 'POST' && url.searchParams.has('uploads') && status === 200) {
      const id = /<UploadId>([^<]+)<\/UploadId>/.exec(body.toString('utf8'))?.[1];
      if (id) uploads.set(id, { bucket, key, uploadId: id, initiated: new Date() });
    }
    if (req.method === 'POST' && uploadId !== null && status === 200) uploads.delete(uploadId);
    res.writeHead(status, headers);
    res.end(body);
  }

  function listUploads(res: ServerResponse, bucket: string, params: URLSearchParams): void {
    const prefix = params.get('prefix') ?? '';
    const maxUploads = Math.min(Number(params.get('max-uploads') ?? pageSize), pageSize);
    const keyMarker = params.get('key-marker') ?? '';
    const uploadIdMarker = params.get('upload-id-marker') ?? '';
    const all = [...uploads.values()]
      .filter((u) => u.bucket === bucket && u.key.startsWith(prefix))
      .sort((a, b) => (a.key === b.key ? (a.uploadId < b.uploadId ? -1 : 1) : a.key < b.key ? -1 : 1))
      .filter((u) => keyMarker === '' || u.key > keyMarker || (u.key === keyMarker && uploadIdMarker !== '' && u.uploadId > uploadIdMarker));
    const page = all.slice(0, maxUploads);
    const truncated = all.length > page.length;
    const last = page[page.length - 1];
    const entries = page.map((u) => `<Upload><Key>${escapeXml(u.key)}</Key><UploadId>${escapeXml(u.uploadId)}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`).join('');
    res.writeHead(200, { 'content-type': XML });
    res.end('<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
      + `<Bucket>${escapeXml(bucket)}</Bucket><KeyMarker>${escapeXml(keyMarker)}</KeyMarker><UploadIdMarker>${escapeXml(uploadIdMarker)}</UploadIdMarker>`
      + (truncated ? `<NextKeyMarker>${escapeXml(last.key)}</NextKeyMarker><NextUploadIdMarker>${escapeXml(last.uploadId)}</NextUploadIdMarker>` : '')
      + `<Prefix>${escapeXml(prefix)}</Prefix><MaxUploads>${maxUploads}</MaxUploads><IsTruncated>${truncated}</IsTruncated>${entries}</ListMultipartUploadsResult>`);
  }

  function forward(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const upstream = request({
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: targetUrl.host },
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const headers: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(response.headers)) if (value !== undefined && name !== 'transfer-encoding') headers[name] = value;
          const body = Buffer.concat(chunks);
          headers['content-length'] = String(body.length);
          resolve({ status: response.statusCode ?? 502, headers, body });
        });
        response.on('error', reject);
      });
      upstream.on('error', reject);
      req.pipe(upstream);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    uploads,
    aborted,
    listRequests,
    backdate(uploadId, initiated) {
      const upload = uploads.get(uploadId);
      if (!upload) throw new Error(`No open upload ${uploadId}`);
      upload.initiated = initiated;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
