"""The asyncio side of the client; the source of the generated _sync."""
