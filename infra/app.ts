/**
 * The CDK app entry point named by cdk.json. The participant stack arrives with the AWS issue;
 * until then synthesis fails with a clear message rather than producing an empty template.
 */
process.stderr.write('eson: the AWS participant stack is not built yet (see infra/README.md)\n');
process.exitCode = 1;
