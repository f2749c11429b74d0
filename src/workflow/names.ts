import { createHash } from 'node:crypto';

/**
 * The execution name for one object version: the key's base name (made safe) and a hash of
 * bucket, key, version or ETag, and the event's sequencer. A redelivered event gets the same name,
 * so Step Functions refuses a second start; a new upload of the same key gets a new one. At most 80
 * characters of `[A-Za-z0-9_-]`, so it also serves as the Cognito JobName and the report folder.
 */
export function executionName(parts: {
  bucket: string;
  key: string;
  versionId?: string;
  etag?: string;
  sequencer?: string;
}): string {
  const fingerprint = createHash('sha256')
    .update(
      [parts.bucket, parts.key, parts.versionId || parts.etag || '', parts.sequencer || ''].join(
        '\n',
      ),
    )
    .digest('hex')
    .slice(0, 32);
  const base = (parts.key.split('/').pop() ?? 'import').replace(/\.csv$/i, '');
  const safe =
    base
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'import';
  return `imp-${safe}-${fingerprint}`;
}
