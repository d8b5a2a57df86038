"""The version of the HILT event format, written on every line as ``hilt_version``."""

FORMAT_VERSION = "1.0.0"
