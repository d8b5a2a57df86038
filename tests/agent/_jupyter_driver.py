"""Drive a real Jupyter kernel (``python -m ipykernel_launcher``) through ``jupyter_client``, as a notebook does.

``python _jupyter_driver.py KERNEL_DIRS PLAN``: PLAN is a JSON file ``{"cwd": folder, "before": [cells], "after":
[cells]}``. The driver starts the kernel spec ``hilt-test`` found under KERNEL_DIRS in ``cwd`` with the driver's own
environment (as a Jupyter server does), runs the
``before`` cells, restarts the kernel, runs the ``after`` cells, shuts the kernel down the way Jupyter does (a
shutdown request, then waiting for the process) and prints, as JSON, ``[status, outputs]`` per cell, where
outputs are ``[stream name or "result" or "error", text]`` in order, and its own ``HILT_RUN_ID`` (set when HILT
started in the driver itself).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager

TIMEOUT = 20


def run_cells(client: Any, cells: list[str]) -> list[list[Any]]:
    results = []
    for code in cells:
        outputs: list[list[str]] = []

        def collect(message: dict[str, Any], outputs: list[list[str]] = outputs) -> None:
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                outputs.append([content["name"], content["text"]])
            elif kind == "execute_result":
                outputs.append(["result", content["data"]["text/plain"]])
            elif kind == "error":
                outputs.append(["error", f"{content['ename']}: {content['evalue']}"])

        reply = client.execute_interactive(code, timeout=TIMEOUT, output_hook=collect)
        results.append([reply["content"]["status"], outputs])
    return results


def main() -> None:
    kernel_dirs, plan_file = sys.argv[1:]
    plan = json.loads(Path(plan_file).read_text())
    manager = KernelManager(kernel_name="hilt-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[kernel_dirs]))
    manager.start_kernel(cwd=plan["cwd"])
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        before = run_cells(client, plan["before"])
        manager.restart_kernel(now=False)
        client.wait_for_ready(timeout=TIMEOUT)
        after = run_cells(client, plan["after"])
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    print(json.dumps({"before": before, "after": after, "run_id": os.environ.get("HILT_RUN_ID")}))


if __name__ == "__main__":
    main()
