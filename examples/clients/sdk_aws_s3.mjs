// errata client wrapper for @aws-sdk/client-s3 (v3): the one S3 operation
// ERRATA_METHOD ERRATA_PATH names, through the SDK's standard retry strategy
// (maxAttempts 3), path-style addressing, against ERRATA_BASE_URL.
import { require, ERRATA_BASE_URL, ERRATA_METHOD, ERRATA_PATH, done } from './sdk_common.mjs';

const s3sdk = require('@aws-sdk/client-s3');
const client = new s3sdk.S3Client({
  endpoint: ERRATA_BASE_URL, forcePathStyle: true, region: 'us-east-1', maxAttempts: 3,
  credentials: { accessKeyId: 'AKIAERRATAEXAMPLE0000', secretAccessKey: 'errata-example-secret' },
});
const [Bucket, ...rest] = ERRATA_PATH.replace(/^\//, '').split('/');
const Key = rest.length ? rest.join('/') : undefined;
const commands = {
  'GET key': () => new s3sdk.GetObjectCommand({ Bucket, Key }),
  'PUT key': () => new s3sdk.PutObjectCommand({ Bucket, Key, Body: 'errata' }),
  'DELETE key': () => new s3sdk.DeleteObjectCommand({ Bucket, Key }),
  'GET bucket': () => new s3sdk.ListObjectsV2Command({ Bucket }),
  'PUT bucket': () => new s3sdk.CreateBucketCommand({ Bucket }),
  'DELETE bucket': () => new s3sdk.DeleteBucketCommand({ Bucket }),
};
const make = commands[`${ERRATA_METHOD} ${Key === undefined ? 'bucket' : 'key'}`];
if (!make) {
  console.error(`sdk_aws_s3: no S3 command for ${ERRATA_METHOD} ${ERRATA_PATH}`);
  process.exit(2);
}
try {
  const out = await client.send(make());
  if (out.Body) await out.Body.transformToString();
  done({ status: out.$metadata.httpStatusCode, attempts: out.$metadata.attempts });
} catch (err) {
  // what the SDK shows of an S3 error: its name is the code (SlowDown)
  console.error('error: ' + JSON.stringify({ name: err.name, code: err.Code, status: err.$metadata?.httpStatusCode,
    attempts: err.$metadata?.attempts, message: err.message }));
  process.exit(1);
}
