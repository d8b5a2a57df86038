"""A child process for the durability tests: instrument from HILT_* variables, make chat calls, exit.

Usage: python _child.py OPENAI_BASE_URL N_CALLS [PAUSE_SECONDS]   (N_CALLS 0: run until killed)
Prints ``ready`` after the first call, then one line per call.
"""

from __future__ import annotations

import sys
import time

import openai

import hilt

base_url, calls = sys.argv[1], int(sys.argv[2])
pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
hilt.instrument()
client = openai.OpenAI(base_url=base_url, api_key="test-key", max_retries=0)
i = 0
while calls == 0 or i < calls:
    client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": f"call {i}"}])
    print("call", i, flush=True)
    i += 1
    if pause:
        time.sleep(pause)
