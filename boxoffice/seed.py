"""Demo catalog (placeholder)."""


async def seed_demo() -> None:
    return None


async def seed_scale(n: int) -> None:
    return None
