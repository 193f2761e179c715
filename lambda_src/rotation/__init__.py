"""Secrets Manager rotation of a PostgreSQL user's password, single-user strategy (LAM-1, SEC-4).

Each secret logs in as its own user and changes its own password: the application user's secret
and the master user's secret rotate with the same function. Handler: rotation.handler.lambda_handler.
"""
