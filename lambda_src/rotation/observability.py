"""The function's one logger and tracer (Powertools): JSON log lines with the invocation's context,
X-Ray segments for the handler and each step. Neither ever records a secret value."""

from aws_lambda_powertools import Logger, Tracer

SERVICE = "secret-rotation"
logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
