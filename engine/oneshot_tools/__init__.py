"""Development tools beside the engine, not part of its runtime and not shipped in the extension:
`synthetic` (the tiny model's task family, tokenizer, pretraining and sweeps) and `randmodel`
(random tiny checkpoints for tests and benchmarks). Run them with PYTHONPATH=engine."""
