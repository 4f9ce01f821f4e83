import type { HttpResponse as UwsResponse } from 'uWebSockets.js';
import { STATUS_CODES } from 'node:http';
import { errors, type HttpError } from './errors.js';
import type { HttpResponse } from './request.js';

/**
 * One request/response pair on a uWS connection. It owns the rules uWS imposes: nothing may be written
 * after the client went away, a response is written once, and writes are corked into one syscall.
 */
export class Exchange {
  aborted = false;
  finished = false;
  status = 0;

  constructor(
    private readonly res: UwsResponse,
    /** Headers every answer carries (CORS). */
    public baseHeaders: Record<string, string>,
    private readonly onFinish: (exchange: Exchange) => void,
  ) {
    res.onAborted(() => {
      this.aborted = true;
      this.finish();
    });
  }

  /** Reads the whole body, refusing more than `limit` bytes; rejects with the framework's 413. */
  readBody(limit: number, declaredLength: string | undefined): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (declaredLength !== undefined && Number(declaredLength) > limit) {
        reject(errors.payloadTooLarge());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let refused = false;
      this.res.onData((chunk, isLast) => {
        if (refused) return;
        size += chunk.byteLength;
        if (size > limit) {
          refused = true;
          reject(errors.payloadTooLarge());
          return;
        }
        // uWS reuses the chunk's memory after this callback returns: copy it.
        chunks.push(Buffer.from(new Uint8Array(chunk)));
        if (isLast) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
      });
    });
  }

  send(response: HttpResponse, bodyless: boolean): void {
    let contentType = 'application/json';
    let text = '';
    if (response.raw) {
      contentType = response.raw.contentType;
      text = response.raw.text;
    } else if (response.body !== undefined) {
      text = JSON.stringify(response.body);
    }
    this.write(response.status, { 'Content-Type': contentType, ...response.headers }, text, bodyless, false);
  }

  fail(error: HttpError, bodyless: boolean): void {
    const headers = { 'Content-Type': error.contentType, ...error.headers };
    this.write(error.status, headers, error.body(), bodyless, error.closesConnection);
  }

  private write(
    status: number,
    headers: Record<string, string>,
    text: string,
    bodyless: boolean,
    closeConnection: boolean,
  ): void {
    if (this.aborted || this.finished) return;
    this.status = status;
    this.res.cork(() => {
      this.res.writeStatus(`${status} ${STATUS_CODES[status] ?? ''}`);
      for (const [name, value] of Object.entries(this.baseHeaders)) this.res.writeHeader(name, value);
      for (const [name, value] of Object.entries(headers)) this.res.writeHeader(name, value);
      // endWithoutBody must be called without arguments: with any, this uWS build aborts the process.
      // uWS writes `Connection: close` itself when asked to close.
      if (closeConnection) this.res.end(bodyless ? '' : text, true);
      else if (bodyless || status === 204 || status === 304) this.res.endWithoutBody();
      else this.res.end(text);
    });
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.onFinish(this);
  }
}
