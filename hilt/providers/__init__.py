"""Provider extractors: turn one SDK's requests and responses into :class:`hilt._record.CallRecord` fields."""
