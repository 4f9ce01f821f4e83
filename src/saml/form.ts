import uWS from 'uWebSockets.js';

export interface UploadedFile {
  /** As the client named it; '' when it sent an empty file name. */
  filename: string;
  data: Buffer;
}

/** A browser form or upload: its text fields, and its file parts. */
export interface Form {
  fields: Map<string, string>;
  files: Map<string, UploadedFile>;
}

const mediaType = (contentType: string | undefined) =>
  (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();

/**
 * Reads an `application/x-www-form-urlencoded` or `multipart/form-data` body; any other body yields an
 * empty form. As in upstream's framework, a part with a file name (even empty) is a file, another a field;
 * the first occurrence of a name wins.
 */
export function readForm(body: Buffer, contentType: string | undefined): Form {
  const form: Form = { fields: new Map(), files: new Map() };
  const type = mediaType(contentType);
  if (type === 'application/x-www-form-urlencoded') {
    for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
      if (!form.fields.has(name)) form.fields.set(name, value);
    }
  } else if (type === 'multipart/form-data' && body.length > 0) {
    for (const part of uWS.getParts(body, contentType!) ?? []) {
      const data = Buffer.from(new Uint8Array(part.data));
      if (part.filename !== undefined) {
        if (!form.files.has(part.name)) form.files.set(part.name, { filename: part.filename, data });
      } else if (!form.fields.has(part.name)) {
        form.fields.set(part.name, data.toString('utf8'));
      }
    }
  }
  return form;
}
