"""The function's one logger and tracer (Powertools): JSON log lines with the invocation's context,
X-Ray segments for the handler and each record. Neither records record data."""

from aws_lambda_powertools import Logger, Tracer

SERVICE = "payment-stream-processor"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
