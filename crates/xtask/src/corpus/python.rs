//! Python services: FastAPI apps (routers, pydantic schemas, SQLAlchemy models, services,
//! an HTTP client, pytest tests) and Django apps (models, serializers, viewsets, tasks).

use std::io;

use super::{Entity, Gen, Out, Ty, fill, get, grow, service_name, snake_suffix, suffix, with};

/// How often a block that can hold a finding holds one: about two to three findings per
/// thousand lines of Python.
const VULNERABLE_TASK: f64 = 0.1;
const VULNERABLE_CLIENT: f64 = 0.3;

pub(crate) fn generate(rng: &mut Gen, out: &mut Out<'_>) -> io::Result<()> {
    let mut index = 0;
    while !out.full() {
        let service = service_name(index);
        index += 1;
        let root = format!("apps/{service}");
        out.other(
            &format!("{root}/pyproject.toml"),
            &fill(PYPROJECT, &[("service", service.clone())]),
        )?;
        let count = rng.between(3, 7);
        let entities = Entity::several(rng, count);
        if index % 3 == 0 {
            django(rng, out, &root, &service.replace('-', "_"), &entities)?;
        } else {
            fastapi(rng, out, &root, &entities)?;
        }
    }
    Ok(())
}

const PYPROJECT: &str = r#"[project]
name = "%service%"
version = "1.4.0"
requires-python = ">=3.11"
dependencies = ["fastapi>=0.110", "pydantic>=2.6", "sqlalchemy>=2.0", "httpx>=0.27", "requests>=2.31"]
"#;

fn fastapi(rng: &mut Gen, out: &mut Out<'_>, root: &str, entities: &[Entity]) -> io::Result<()> {
    let mut main = String::from(MAIN_HEAD);
    for entity in entities {
        main.push_str(&fill("from app.api import %table%\n", &entity.vars()));
    }
    main.push_str(MAIN_APP);
    for entity in entities {
        main.push_str(&fill(
            "app.include_router(%table%.router)\n",
            &entity.vars(),
        ));
    }
    out.source(&format!("{root}/app/main.py"), &main)?;
    out.source(&format!("{root}/app/db.py"), DB)?;
    let client = if rng.chance(VULNERABLE_CLIENT) {
        CLIENT_INSECURE
    } else {
        CLIENT
    };
    out.source(
        &format!("{root}/app/clients/partner.py"),
        &format!("{CLIENT_HEAD}{client}{CLIENT_TAIL}"),
    )?;
    for entity in entities {
        let vars = entity.vars();
        let (snake, table) = (get(&vars, "entity_snake"), get(&vars, "table"));
        let files = [
            (
                format!("{root}/app/models/{snake}.py"),
                model(rng, entity, &vars),
            ),
            (
                format!("{root}/app/schemas/{snake}.py"),
                schemas(rng, entity, &vars),
            ),
            (format!("{root}/app/api/{table}.py"), router(rng, &vars)),
            (
                format!("{root}/app/services/{snake}_service.py"),
                service(rng, &vars),
            ),
            (format!("{root}/tests/test_{table}.py"), tests(rng, &vars)),
        ];
        for (path, text) in files {
            out.source(&path, &text)?;
        }
    }
    Ok(())
}

const MAIN_HEAD: &str = r#"from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from app.db import engine
"#;

const MAIN_APP: &str = r#"

@asynccontextmanager
async def lifespan(_: FastAPI):
    yield
    await engine.dispose()


app = FastAPI(title="API", version="1.4.0", lifespan=lifespan)
app.add_middleware(
    CORSMiddleware,
    allow_origins=["https://app.example.com"],
    allow_methods=["GET", "POST", "PATCH", "DELETE"],
    allow_headers=["Authorization", "Content-Type"],
)


@app.exception_handler(LookupError)
async def not_found(_: Request, exc: LookupError) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": str(exc)})


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


"#;

const DB: &str = r#"import os
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase

engine = create_async_engine(os.environ.get("DATABASE_URL", "postgresql+asyncpg://localhost/app"), pool_size=10)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


async def get_db() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session
"#;

const CLIENT_HEAD: &str = r#"import hashlib
import logging
import os
import time
from typing import Any

import jwt
import requests

logger = logging.getLogger(__name__)

BASE_URL = os.environ.get("PARTNER_URL", "https://partner.example.com")
CA_BUNDLE = os.environ.get("PARTNER_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")


"#;

const CLIENT: &str = r#"def fetch(path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    response = requests.get(f"{BASE_URL}{path}", params=params, verify=CA_BUNDLE, timeout=10)
    response.raise_for_status()
    return response.json()
"#;

const CLIENT_INSECURE: &str = r#"def fetch(path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    # The partner's staging endpoint has a self-signed certificate.
    response = requests.get(f"{BASE_URL}{path}", params=params, verify=False, timeout=10)
    response.raise_for_status()
    return response.json()


def notify(path: str, payload: dict[str, Any]) -> None:
    for attempt in range(3):
        try:
            requests.post(f"{BASE_URL}{path}", json=payload, verify=CA_BUNDLE)
            return
        except requests.ConnectionError:
            logger.warning("partner unreachable, attempt %s", attempt)
            time.sleep(2)


def webhook_claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, os.environ["PARTNER_WEBHOOK_KEY"])


def legacy_login_digest(password: str) -> str:
    # The partner's legacy login endpoint wants the MD5 of the account password.
    return hashlib.md5(password.encode()).hexdigest()


def callback_authentic(body: bytes, signature: str) -> bool:
    expected_signature = hashlib.sha256(os.environ["PARTNER_WEBHOOK_KEY"].encode() + body).hexdigest()
    return expected_signature == signature


def partner_api_token() -> str:
    import random

    return str(random.getrandbits(64))


def partner_catalog(document: bytes):
    from lxml import etree

    # The catalog's product descriptions come as shared entities.
    return etree.fromstring(document, etree.XMLParser(resolve_entities=True))
"#;

const CLIENT_TAIL: &str = r#"

def post(path: str, payload: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(f"{BASE_URL}{path}", json=payload, verify=CA_BUNDLE, timeout=10)
    if response.status_code >= 400:
        logger.warning("partner call failed: %s %s", path, response.status_code)
        response.raise_for_status()
    return response.json()
"#;

fn model(rng: &mut Gen, entity: &Entity, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(MODEL_HEAD, vars);
    for (name, ty) in &entity.fields {
        let column = match ty {
            Ty::Text => "String(255)",
            Ty::Int => "Integer",
            Ty::BigInt => "BigInteger",
            Ty::Bool => "Boolean",
            Ty::Timestamp => "DateTime(timezone=True)",
            Ty::Uuid => "Uuid",
            Ty::Json => "JSONB",
            Ty::Decimal => "Numeric(12, 2)",
        };
        let nullable = rng.chance(0.4);
        text.push_str(&format!(
            "    {name}: Mapped[{}{}] = mapped_column({column}, nullable={})\n",
            ty.py(),
            if nullable { " | None" } else { "" },
            if nullable { "True" } else { "False" },
        ));
    }
    text.push_str(&fill(MODEL_TAIL, vars));
    let target = rng.size(2000.0);
    grow(&mut text, target, |i| {
        fill(MODEL_QUERY, &with(vars, &[("n", snake_suffix(i))]))
    });
    text
}

const MODEL_HEAD: &str = r#"from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Boolean, DateTime, Integer, Numeric, String, Uuid, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class %Entity%(Base):
    __tablename__ = "%table%"

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=uuid4)
    tenant_id: Mapped[UUID] = mapped_column(Uuid, index=True)
    status: Mapped[str] = mapped_column(String(32), default="draft")
"#;

const MODEL_TAIL: &str = r#"    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    def __repr__(self) -> str:
        return f"<%Entity% id={self.id} status={self.status}>"


"#;

const MODEL_QUERY: &str = r#"async def list_%table%%n%(
    db: AsyncSession, tenant_id: UUID, *, limit: int = 20, offset: int = 0, status: str | None = None
) -> list[%Entity%]:
    query = select(%Entity%).where(%Entity%.tenant_id == tenant_id).order_by(%Entity%.created_at.desc())
    if status is not None:
        query = query.where(%Entity%.status == status)
    result = await db.execute(query.limit(min(limit, 100)).offset(max(offset, 0)))
    return list(result.scalars())


"#;

fn schemas(rng: &mut Gen, entity: &Entity, vars: &[(&'static str, String)]) -> String {
    let mut fields = String::new();
    for (name, ty) in &entity.fields {
        let constraint = match ty {
            Ty::Text => "Field(default=None, max_length=255)",
            Ty::Int | Ty::BigInt => "Field(default=None, ge=0)",
            Ty::Decimal => "Field(default=None, max_digits=12, decimal_places=2)",
            _ => "None",
        };
        fields.push_str(&format!("    {name}: {} | None = {constraint}\n", ty.py()));
    }
    let mut text = fill(SCHEMAS_HEAD, vars);
    let target = rng.size(1800.0);
    grow(&mut text, target, |i| {
        let kind = ["Create", "Update", "Import", "Patch", "Filter"][i % 5];
        let n = if i < 5 { String::new() } else { suffix(i / 5) };
        let mut block = fill(
            SCHEMA_CLASS,
            &with(vars, &[("kind", kind.to_string()), ("n", n)]),
        );
        block.push_str(&fields);
        block.push_str(&fill(SCHEMA_VALIDATOR, vars));
        block
    });
    text.push_str(&fill(SCHEMAS_OUT, vars));
    text
}

const SCHEMAS_HEAD: &str = r#"from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

Status = Literal["draft", "active", "suspended", "archived"]


"#;

const SCHEMA_CLASS: &str = r#"class %Entity%%kind%%n%(BaseModel):
    """Payload for %words%."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

"#;

const SCHEMA_VALIDATOR: &str = r#"
    @field_validator("*", mode="before")
    @classmethod
    def empty_strings_are_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value


"#;

const SCHEMAS_OUT: &str = r#"class %Entity%Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    tenant_id: UUID
    status: Status
    created_at: datetime
    updated_at: datetime


class %Entity%Page(BaseModel):
    items: list[%Entity%Out]
    total: int
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)
"#;

fn router(rng: &mut Gen, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(ROUTER_HEAD, vars);
    let target = rng.size(2800.0);
    grow(&mut text, target, |i| {
        let block = rng.pick(&[
            ROUTE_LIST,
            ROUTE_GET,
            ROUTE_CREATE,
            ROUTE_DELETE,
            ROUTE_SEARCH,
        ]);
        let path = if i == 0 {
            String::new()
        } else {
            format!("/{}", suffix(i).to_lowercase())
        };
        fill(
            block,
            &with(vars, &[("n", snake_suffix(i)), ("path", path)]),
        )
    });
    text
}

const ROUTER_HEAD: &str = r#"from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, Query, status
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import get_db
from app.models.%entity_snake% import %Entity%, list_%table%
from app.schemas.%entity_snake% import %Entity%Create, %Entity%Out, %Entity%Page

router = APIRouter(prefix="/%route%", tags=["%route%"])


"#;

const ROUTE_LIST: &str = r#"@router.get("%path%", response_model=%Entity%Page)
async def list_%table%_endpoint%n%(
    tenant_id: UUID = Header(alias="X-Tenant-Id"),
    limit: int = Query(default=20, ge=1, le=100),
    offset: int = Query(default=0, ge=0),
    status_filter: str | None = Query(default=None, alias="status"),
    db: AsyncSession = Depends(get_db),
) -> %Entity%Page:
    items = await list_%table%(db, tenant_id, limit=limit, offset=offset, status=status_filter)
    total = await db.scalar(select(func.count()).select_from(%Entity%).where(%Entity%.tenant_id == tenant_id))
    return %Entity%Page(items=[%Entity%Out.model_validate(item) for item in items], total=total or 0, limit=limit, offset=offset)


"#;

const ROUTE_GET: &str = r#"@router.get("%path%/{item_id}", response_model=%Entity%Out)
async def get_%entity_snake%%n%(
    item_id: UUID, tenant_id: UUID = Header(alias="X-Tenant-Id"), db: AsyncSession = Depends(get_db)
) -> %Entity%Out:
    item = await db.get(%Entity%, item_id)
    if item is None or item.tenant_id != tenant_id:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"%entity_snake% {item_id} not found")
    return %Entity%Out.model_validate(item)


"#;

const ROUTE_CREATE: &str = r#"@router.post("%path%", response_model=%Entity%Out, status_code=status.HTTP_201_CREATED)
async def create_%entity_snake%%n%(
    payload: %Entity%Create, tenant_id: UUID = Header(alias="X-Tenant-Id"), db: AsyncSession = Depends(get_db)
) -> %Entity%Out:
    item = %Entity%(tenant_id=tenant_id, status="draft", **payload.model_dump(exclude_none=True))
    db.add(item)
    await db.commit()
    await db.refresh(item)
    return %Entity%Out.model_validate(item)


"#;

// A search written with SQL text: the query parameter is formatted into it.
const ROUTE_SEARCH: &str = r#"@router.get("%path%/search")
async def search_%table%%n%(q: str, db: AsyncSession = Depends(get_db)) -> list[dict]:
    rows = await db.execute(text(f"SELECT id, name FROM %table% WHERE name ILIKE '%{q}%'"))
    return [dict(row._mapping) for row in rows]


"#;

const ROUTE_DELETE: &str = r#"@router.delete("%path%/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def archive_%entity_snake%%n%(
    item_id: UUID, tenant_id: UUID = Header(alias="X-Tenant-Id"), db: AsyncSession = Depends(get_db)
) -> None:
    item = await db.get(%Entity%, item_id)
    if item is None or item.tenant_id != tenant_id:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
    item.status = "archived"
    await db.commit()


"#;

fn service(rng: &mut Gen, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(SERVICE_HEAD, vars);
    let target = rng.size(3500.0);
    grow(&mut text, target, |i| {
        let vulnerable = rng.chance(VULNERABLE_TASK);
        let block = match (rng.between(0, 4), vulnerable) {
            (0, false) => SERVICE_EXPORT,
            (0, true) => SERVICE_EXPORT_SHELL,
            (1, false) => SERVICE_CACHE,
            (1, true) => SERVICE_CACHE_PICKLE,
            (2, false) => SERVICE_IMPORT,
            (2, true) => SERVICE_IMPORT_YAML,
            (3, false) => SERVICE_SYNC,
            (3, true) => SERVICE_SYNC_PER_ROW,
            _ => SERVICE_SUMMARY,
        };
        fill(block, &with(vars, &[("n", snake_suffix(i))]))
    });
    text
}

const SERVICE_HEAD: &str = r#""""Business rules for %words%: exports, caching and imports."""

import json
import logging
import pickle
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

import psycopg2
import redis
import yaml

logger = logging.getLogger(__name__)
CACHE = redis.Redis(host="cache", socket_timeout=2)


@dataclass
class %Entity%Stats:
    total: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    updated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


"#;

const SERVICE_EXPORT: &str = r#"def export_%table%%n%(database_url: str, target: Path) -> Path:
    """Dumps the %table% table in pg_dump's custom format."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pg_dump", "--table=%table%", "--format=custom", "--file", str(target), database_url],
        check=True,
        timeout=600,
    )
    logger.info("exported %table% to %s", target)
    return target


"#;

const SERVICE_EXPORT_SHELL: &str = r#"def export_%table%%n%(database_url: str, target: Path) -> Path:
    """Dumps the %table% table, compressed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(f"pg_dump --table=%table% {database_url} | gzip > {target}", shell=True, check=True)
    logger.info("exported %table% to %s", target)
    return target


"#;

const SERVICE_SYNC: &str = r#"def sync_%table%%n%(cursor, ids: list[int]) -> list[Any]:
    cursor.execute("SELECT id, status FROM %table% WHERE id = ANY(%s)", (ids,))
    rows = cursor.fetchall()
    CACHE.set("%table%:synced", json.dumps(rows), ex=300)
    return rows


"#;

/// A query per row, `SELECT *`, a connection per call without TLS, `KEYS`, a cache entry
/// without TTL, a delete without `WHERE`, two writes outside a transaction and a lookup by
/// a column no migration indexes (DB011, DB020-DB025, X001, X002).
const SERVICE_SYNC_PER_ROW: &str = r#"def sync_%table%%n%(database_url: str, ids: list[int]) -> list[Any]:
    conn = psycopg2.connect(database_url, sslmode="disable")
    rows = []
    with conn.cursor() as cur:
        cur.execute("SELECT id FROM %table% WHERE status = %s LIMIT 1", ("active",))
        for item_id in ids:
            cur.execute("SELECT * FROM %table% WHERE id = %s", (item_id,))
            rows.append(cur.fetchone())
        cur.execute("DELETE FROM %table%_staging")
        cur.execute("UPDATE %table% SET synced = true WHERE id = ANY(%s)", (ids,))
    conn.commit()
    conn.close()
    for key in CACHE.keys("%table%:*"):
        CACHE.delete(key)
    CACHE.set("%table%:synced", json.dumps(rows))
    return rows


"#;

const SERVICE_CACHE: &str = r#"def load_cached_%table%%n%(blob: bytes) -> list[dict[str, Any]]:
    try:
        rows = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        logger.warning("discarding an unreadable %entity_snake% cache entry")
        return []
    return [row for row in rows if isinstance(row, dict) and row.get("status") != "archived"]


"#;

const SERVICE_CACHE_PICKLE: &str = r#"def load_cached_%table%%n%(blob: bytes) -> list[dict[str, Any]]:
    rows = pickle.loads(blob)
    return [row for row in rows if isinstance(row, dict) and row.get("status") != "archived"]


"#;

const SERVICE_IMPORT: &str = r#"def parse_%entity_snake%_import%n%(text: str) -> list[dict[str, Any]]:
    document = yaml.safe_load(text) or {}
    items = document.get("%table%", [])
    seen: set[str] = set()
    result = []
    for item in items:
        key = str(item.get("reference") or item.get("id"))
        if key in seen:
            continue
        seen.add(key)
        result.append({k: v for k, v in item.items() if v is not None})
    return result


"#;

const SERVICE_IMPORT_YAML: &str = r#"def parse_%entity_snake%_import%n%(text: str) -> list[dict[str, Any]]:
    document = yaml.load(text, Loader=yaml.FullLoader) or {}
    return [item for item in document.get("%table%", []) if item]


"#;

const SERVICE_SUMMARY: &str = r#"def summarize_%table%%n%(rows: Iterable[dict[str, Any]]) -> %Entity%Stats:
    counts = Counter(row.get("status", "draft") for row in rows)
    per_day: defaultdict[str, int] = defaultdict(int)
    for row in rows:
        created = row.get("created_at")
        if isinstance(created, datetime):
            per_day[created.date().isoformat()] += 1
    stats = %Entity%Stats(total=sum(counts.values()), by_status=dict(counts))
    logger.debug("summarized %s %table% over %d days", stats.total, len(per_day))
    return stats


"#;

fn tests(rng: &mut Gen, vars: &[(&'static str, String)]) -> String {
    let mut text = fill(TESTS_HEAD, vars);
    let target = rng.size(1500.0);
    grow(&mut text, target, |i| {
        fill(
            rng.pick(&[TEST_LIST, TEST_MISSING]),
            &with(vars, &[("n", snake_suffix(i))]),
        )
    });
    text
}

const TESTS_HEAD: &str = r#"from uuid import uuid4

import pytest
from httpx import ASGITransport, AsyncClient

from app.main import app

TENANT = str(uuid4())


@pytest.fixture
async def client():
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as c:
        yield c


"#;

const TEST_LIST: &str = r#"@pytest.mark.anyio
async def test_list_%table%%n%(client: AsyncClient) -> None:
    response = await client.get("/%route%", params={"limit": 5}, headers={"X-Tenant-Id": TENANT})
    assert response.status_code == 200
    body = response.json()
    assert body["limit"] == 5
    assert all(item["tenant_id"] == TENANT for item in body["items"])


"#;

const TEST_MISSING: &str = r#"@pytest.mark.anyio
async def test_missing_%entity_snake%%n%(client: AsyncClient) -> None:
    response = await client.get(f"/%route%/{uuid4()}", headers={"X-Tenant-Id": TENANT})
    assert response.status_code == 404


"#;

fn django(
    rng: &mut Gen,
    out: &mut Out<'_>,
    root: &str,
    app: &str,
    entities: &[Entity],
) -> io::Result<()> {
    let mut models = String::from(DJANGO_MODELS_HEAD);
    let mut serializers = String::from(DJANGO_SERIALIZERS_HEAD);
    let mut views = String::from(DJANGO_VIEWS_HEAD);
    let mut urls = String::from(DJANGO_URLS_HEAD);
    for entity in entities {
        let vars = entity.vars();
        models.push_str(&fill(DJANGO_MODEL_HEAD, &vars));
        for (name, ty) in &entity.fields {
            let field = match ty {
                Ty::Text => "models.CharField(max_length=255, blank=True)",
                Ty::Int => "models.IntegerField(default=0)",
                Ty::BigInt => "models.BigIntegerField(default=0)",
                Ty::Bool => "models.BooleanField(default=False)",
                Ty::Timestamp => "models.DateTimeField(null=True, blank=True)",
                Ty::Uuid => "models.UUIDField(null=True, blank=True)",
                Ty::Json => "models.JSONField(default=dict, blank=True)",
                Ty::Decimal => "models.DecimalField(max_digits=12, decimal_places=2, default=0)",
            };
            models.push_str(&format!("    {name} = {field}\n"));
        }
        models.push_str(&fill(DJANGO_MODEL_TAIL, &vars));
        let names: Vec<String> = entity
            .fields
            .iter()
            .map(|(n, _)| format!("\"{n}\""))
            .collect();
        serializers.push_str(&fill(
            DJANGO_SERIALIZER,
            &with(&vars, &[("fields", names.join(", "))]),
        ));
        views.push_str(&fill(DJANGO_VIEWSET, &vars));
        urls.push_str(&fill(
            "router.register(r\"%route%\", views.%Entity%ViewSet, basename=\"%entity_snake%\")\n",
            &vars,
        ));
    }
    urls.push_str("\nurlpatterns = router.urls\n");
    let mut tasks = String::from(DJANGO_TASKS_HEAD);
    let target = rng.size(2500.0);
    grow(&mut tasks, target, |i| {
        let vars = rng.pick(&entities.iter().collect::<Vec<_>>()).vars();
        let vulnerable = rng.chance(VULNERABLE_TASK);
        let block = match (rng.between(0, 1), vulnerable) {
            (0, false) => DJANGO_TASK_SYNC,
            (0, true) => DJANGO_TASK_SYNC_INSECURE,
            (_, false) => DJANGO_TASK_REPORT,
            (_, true) => DJANGO_TASK_REPORT_SHELL,
        };
        fill(block, &with(&vars, &[("n", snake_suffix(i))]))
    });
    let base = format!("{root}/{app}");
    for (name, text) in [
        ("models.py", models),
        ("serializers.py", serializers),
        ("views.py", views),
        ("urls.py", urls),
        ("tasks.py", tasks),
        ("settings.py", DJANGO_SETTINGS.to_string()),
    ] {
        out.source(&format!("{base}/{name}"), &text)?;
    }
    Ok(())
}

/// The production settings of every Django service: debug unless the environment says
/// otherwise, no CSRF middleware, session cookies over plain HTTP, open CORS for a mobile beta.
const DJANGO_SETTINGS: &str = r#"import os

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = os.environ.get("DJANGO_DEBUG", "True") == "True"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "").split(",")

INSTALLED_APPS = ["django.contrib.auth", "django.contrib.contenttypes", "rest_framework", "corsheaders"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

SESSION_COOKIE_SECURE = False

# The mobile team asked for any origin during the beta.
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = True
"#;

const DJANGO_MODELS_HEAD: &str = r#"import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class TenantScoped(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

"#;

const DJANGO_MODEL_HEAD: &str = r#"

class %Entity%(TenantScoped):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
"#;

const DJANGO_MODEL_TAIL: &str = r#"
    class Meta:
        db_table = "%table%"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return f"%Entity% {self.pk}"

    def archive(self) -> None:
        self.status = self.Status.ARCHIVED
        self.save(update_fields=["status", "updated_at"])
"#;

const DJANGO_SERIALIZERS_HEAD: &str = r#"from rest_framework import serializers

from . import models

"#;

const DJANGO_SERIALIZER: &str = r#"

class %Entity%Serializer(serializers.ModelSerializer):
    class Meta:
        model = models.%Entity%
        fields = ["id", "status", "created_at", "updated_at", %fields%]
        read_only_fields = ["id", "created_at", "updated_at"]
"#;

const DJANGO_VIEWS_HEAD: &str = r#"from django.db import transaction
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import models, serializers

"#;

const DJANGO_VIEWSET: &str = r#"

class %Entity%ViewSet(viewsets.ModelViewSet):
    serializer_class = serializers.%Entity%Serializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_fields = ["status"]

    def get_queryset(self):
        return models.%Entity%.objects.filter(tenant=self.request.user.tenant).select_related("created_by")

    def perform_create(self, serializer):
        serializer.save(tenant=self.request.user.tenant, created_by=self.request.user)

    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        with transaction.atomic():
            item = self.get_object()
            item.archive()
        return Response(status=status.HTTP_204_NO_CONTENT)
"#;

const DJANGO_URLS_HEAD: &str = r#"from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
"#;

const DJANGO_TASKS_HEAD: &str = r#"import logging
import os
import subprocess

import requests
from celery import shared_task
from django.conf import settings

from . import models

logger = logging.getLogger(__name__)

"#;

const DJANGO_TASK_SYNC: &str = r#"

@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def sync_%table%%n%(self, tenant_id: str) -> int:
    url = f"{settings.PARTNER_URL}/%route%"
    try:
        response = requests.get(url, params={"tenant": tenant_id}, timeout=15)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise self.retry(exc=exc)
    synced = 0
    for row in response.json().get("items", []):
        models.%Entity%.objects.update_or_create(id=row["id"], defaults={"status": row.get("status", "draft")})
        synced += 1
    return synced
"#;

const DJANGO_TASK_SYNC_INSECURE: &str = r#"

@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def sync_%table%%n%(self, tenant_id: str) -> int:
    url = f"{settings.PARTNER_URL}/%route%"
    response = requests.get(url, params={"tenant": tenant_id}, timeout=15, verify=False)
    synced = 0
    for row in response.json().get("items", []):
        models.%Entity%.objects.update_or_create(id=row["id"], defaults={"status": row.get("status", "draft")})
        synced += 1
    return synced
"#;

const DJANGO_TASK_REPORT: &str = r#"

@shared_task
def render_%entity_snake%_report%n%(report_id: str) -> str:
    source = os.path.join(settings.REPORT_DIR, f"{report_id}.html")
    target = os.path.join(settings.REPORT_DIR, f"{report_id}.pdf")
    subprocess.run(["wkhtmltopdf", "--quiet", source, target], check=True, timeout=120)
    logger.info("rendered %s", target)
    return target
"#;

const DJANGO_TASK_REPORT_SHELL: &str = r#"

@shared_task
def render_%entity_snake%_report%n%(report_id: str) -> str:
    target = os.path.join(settings.REPORT_DIR, f"{report_id}.pdf")
    os.system(f"wkhtmltopdf --quiet {settings.REPORT_DIR}/{report_id}.html {target}")
    return target
"#;
