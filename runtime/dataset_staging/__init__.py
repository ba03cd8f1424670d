"""Stage a CSV dataset: fetch, validate, split into train and holdout, upload to S3."""
