"""Parse texts with a trained Rasa model (run with the Rasa environment's Python).

Usage: .venv-rasa/bin/python scripts/rasa_parse.py MODEL < texts.jsonl > parses.jsonl
Each input line is a JSON string; each output line is {"intent", "confidence", "entities"}
(each entity with its value and its span in the text).
"""

import asyncio
import json
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.disable(logging.WARNING)


async def main(model: str) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    for line in sys.stdin:
        if not line.strip():
            continue
        parsed = await agent.parse_message(json.loads(line))
        print(
            json.dumps(
                {
                    "intent": parsed["intent"]["name"],
                    "confidence": parsed["intent"].get("confidence"),
                    "entities": [
                        {key: e[key] for key in ("entity", "value", "start", "end") if key in e} for e in parsed.get("entities", [])
                    ],
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
