"""Dataset metainfo files (mmpose ``dataset_info`` format)."""
