/**
 * An error the twin answers with, in S3's XML shape (`<Error><Code>…`), so that the SDK raises the
 * same exception class (`NoSuchKey`, `NoSuchBucket`, …) it raises against AWS. `fields` become
 * extra elements of the error document (`Key`, `BucketName`, `UploadId`, …), as S3 sends them.
 */
export class S3Error extends Error {
  readonly code: string;
  readonly status: number;
  readonly fields: Record<string, string>;
  readonly headers: Record<string, string>;

  constructor(
    code: string,
    message: string,
    status = 400,
    fields: Record<string, string> = {},
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'S3Error';
    this.code = code;
    this.status = status;
    this.fields = fields;
    this.headers = headers;
  }
}

export const noSuchBucket = (bucket: string) =>
  new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });

export const noSuchKey = (key: string) =>
  new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });

export const noSuchUpload = (uploadId: string) =>
  new S3Error(
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    404,
    { UploadId: uploadId },
  );

export const invalidArgument = (message: string, name?: string, value?: string) =>
  new S3Error('InvalidArgument', message, 400, {
    ...(name === undefined ? {} : { ArgumentName: name }),
    ...(value === undefined ? {} : { ArgumentValue: value }),
  });

export const badDigest = () =>
  new S3Error(
    'BadDigest',
    'The Content-MD5 or checksum value that you specified did not match what the server received.',
  );

export const incompleteBody = () =>
  new S3Error(
    'IncompleteBody',
    'You did not provide the number of bytes specified by the Content-Length HTTP header.',
  );

export const preconditionFailed = (condition: string) =>
  new S3Error(
    'PreconditionFailed',
    'At least one of the pre-conditions you specified did not hold',
    412,
    { Condition: condition },
  );

/**
 * S3 can hold both `a` and `a/b`; a folder of files cannot, since `a` would have to be a file and
 * a folder at once. The twin refuses the second write instead of storing it somewhere a person
 * looking at the folder would not find it.
 */
export const keyConflict = (key: string) =>
  new S3Error(
    'KeyConflictsWithFolder',
    'The local S3 twin keeps objects as files: this key would need a file and a folder of the same name (one key is a prefix folder of another). Choose another key.',
    409,
    { Key: key },
  );

export const notImplemented = (what: string) =>
  new S3Error('NotImplemented', `The local S3 twin does not implement ${what}.`, 501);

export const internalError = () =>
  new S3Error('InternalError', 'We encountered an internal error. Please try again.', 500);
