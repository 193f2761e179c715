"""Payment notifications (LAM-2): payment events from an SQS queue, validated, published to the
payments SNS topic with message attributes for subscription filters. Invalid events go to the
dead-letter queue with their reason; transient failures are retried, then reported per message.
Handler: notifier.handler.lambda_handler.
"""
