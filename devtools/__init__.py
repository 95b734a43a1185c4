"""Developer tooling, not used by the running service (`serve`, `worker`): project-local
Postgres/Redis (localsvc), `boxoffice dev` (devserver), the schema export (contract), the demo
and benchmark catalogs (seed, behind `boxoffice seed-demo`)."""
