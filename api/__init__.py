"""NovaEvo's HTTP service (FastAPI): the product's main job (``novaevo serve``).

Layout: one package per domain (``accounts``, ``vehicles``, ``sessions``, ``garages``...),
each with ``models.py`` (tables), ``schemas.py`` (bodies), ``service.py`` (calls into the
domain packages; no domain logic lives in ``api/`` except ``garages``), ``routes.py``
(thin routes). ``core/`` holds what every domain shares (errors, logs, metrics, rate
limits, OCR); ``app.py`` is the factory; ``settings.py`` the one settings class;
``database.py`` the one engine, session factory and Alembic history.

Plug-in points for a new domain ``api/<domain>/`` (e.g. ``api/garages/``), no edit elsewhere:

* **Tables**: subclass :class:`api.database.Base` in ``api/<domain>/models.py`` (found by
  :mod:`api.models`; one ``MetaData`` shared with the parts catalogue, so foreign keys to
  ``api_user.id`` / ``api_vehicle.id`` / ``parts_*`` work). Name tables ``<domain>_...``.
* **Migrations**: one Alembic history (``api/migrations/versions``), one branch per package:
  ``parts``, ``api`` (accounts/vehicles/sessions, revision ``0101_api_core``). A new
  domain starts its own branch: ``down_revision = None``, ``branch_labels = ("garages",)``,
  ``depends_on = "0101_api_core"`` (the users/vehicles tables). Generate with
  ``alembic revision --autogenerate --head base --branch-label garages
  --depends-on 0101_api_core -m "..."`` from the repository root, then ``alembic upgrade
  heads``. :func:`api.database.upgrade` and readiness use every head.
* **Routes**: ``api/<domain>/routes.py`` exposing ``router = APIRouter(tags=["<domain>"])``
  is mounted under ``/v1`` by :mod:`api.registry`. The function name is the OpenAPI
  operation id: keep it unique across the API (a test checks).
* **Dependencies** (:mod:`api.deps`): ``SessionDep`` (an ORM session per request; the
  service commits), ``CurrentUser`` (the authenticated ``User``: Bearer access token or
  ``X-API-Key``), ``PrincipalDep`` (user + API key used), ``SettingsDep``, ``LimiterDep``,
  ``IdPath`` (a bounded integer path id).
* **Authorization in the query**: load objects with ``... WHERE id = :id AND owner_id =
  :user`` and raise :func:`api.core.errors.not_found` when nothing comes back (another
  user's object is a 404, never a 403). Every route with a path id must have a "not yours"
  test: ``tests/api/test_ownership.py`` walks the route table and fails on a route it has
  no case for (add your object type to its ``FACTORIES``).
* **Errors**: raise :class:`api.core.errors.ApiError(status, code, message, details)`; the
  body shape is ``{code, message, details, request_id}`` everywhere.
* **Settings**: add fields to :class:`api.settings.Settings` (``NOVAEVO_`` prefix).
"""
