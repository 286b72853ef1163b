// msgpackr requires this inside try/catch and falls back to its JavaScript decoder.
throw new Error('msgpackr-extract is intentionally absent (see package.json)');
