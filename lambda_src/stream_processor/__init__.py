"""Payment stream processing (LAM-4): records of the payments Kinesis stream, forwarded as payment
events to the notifier's SQS queue. A record that is not a payment event is reported as a batch
item failure without holding back the others. Handler: stream_processor.handler.lambda_handler.
"""
