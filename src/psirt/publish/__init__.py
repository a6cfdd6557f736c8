"""Outputs psirt writes for people and tools: the document model, its renderers, the procedure."""
