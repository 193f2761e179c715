"""A moto server (the AWS APIs, emulated) on a free loopback port, for the Lambda function tests (QA-3).

The server runs in its own process, as `moto_server` would; tests reach it over HTTP with boto3,
and so do the handlers they run in-process, through the SDK's standard AWS_ENDPOINT_URL. Lambda
functions registered in it never run there (that needs Docker): the tests invoke the handlers
themselves, as the Lambda service would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from payment_service.localservers import LOOPBACK, free_port

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's default account
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@dataclass
class MotoServer:
    process: subprocess.Popen
    port: int

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @classmethod
    def start(cls, log_file: Path, timeout: float = 30) -> MotoServer:
        port = free_port()
        with log_file.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)], stdout=log, stderr=log
            )
        server = cls(process, port)
        deadline = time.monotonic() + timeout
        while not server._answers():
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"moto server did not start on port {port}:\n{log_file.read_text()}")
            time.sleep(0.05)
        # Lambda functions are registered, never run by moto (no Docker): invocations moto would make
        # itself (Secrets Manager's rotation) succeed without running anything.
        server._post("/moto-api/config", {"lambda": {"use_docker": False}})
        return server

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1):
                return True
        except (urllib.error.URLError, ConnectionError):
            return False

    def _post(self, path: str, body: dict) -> None:
        request = urllib.request.Request(f"{self.endpoint}{path}", data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def sdk_environment(self) -> dict[str, str]:
        """What a handler's SDK reads: this server for every service, test credentials, no
        configuration files, no instance metadata, tracing off (there is no X-Ray daemon)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            **CREDENTIALS,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_EC2_METADATA_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
