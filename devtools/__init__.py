"""Developer tooling, not used by the running service: project-local Postgres/Redis
(localsvc), `boxoffice dev` (devserver), the schema export (contract)."""
