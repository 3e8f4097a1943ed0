"""The core every face is built on: parameters, tables, stacks, files, remote access, batches, logging."""
