"""The floor for synth benchmarks: a CDK app with a single bucket."""

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "Floor")
s3.Bucket(stack, "Bucket")
app.synth()
