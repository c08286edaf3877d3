"""Embedding runs commit chunk by chunk on both backends, resume where they stopped and never
hold a cursor across a commit."""

from sqlalchemy import func, select
from typer.testing import CliRunner

from app import seeding
from app.cli import cli
from app.companies.models import Company
from app.companies.schemas import CompanyCreate
from app.companies.service import create
from app.config import get_settings
from app.db import get_sessionmaker, session_scope
from app.embeddings import service as embeddings
from app.embeddings.jobs import embed_in_chunks
from app.embeddings.models import Embedding
from app.organizations import service as organizations
from app.solicitations.models import Solicitation
from tests.factories import company_payload


def test_seed_size_data_embeds_in_committed_chunks_and_resumes(database_url: str) -> None:
    with session_scope() as session:
        seeding.load(session, directory=get_settings().seed_dir)
        principal = organizations.operator_principal(
            organizations.get_by_slug(session, slug="jetro")
        )
        create(
            session,
            principal=principal,
            data=CompanyCreate(**company_payload(corporate_number=None, name="Seventy KK")),
        )
    with get_sessionmaker()() as session:
        ids = sorted(session.scalars(select(Company.id)))
        assert len(ids) >= 70
        # A first run that stopped after 30 records (commits every 8)...
        first = embed_in_chunks(session, entity="company", ids=ids[:30], chunk=8)
        assert (first.encoded, first.unchanged) == (30, 0)
        # ...then the whole set: only the rest is encoded, across many committed chunks.
        rest = embed_in_chunks(session, entity="company", chunk=8)
        assert (rest.encoded, rest.unchanged) == (len(ids) - 30, 30)
        stored = dict(
            session.execute(
                select(Embedding.model_id, func.count())
                .where(Embedding.entity_type == "company")
                .group_by(Embedding.model_id)
            ).all()
        )
        japanese = session.scalar(
            select(func.count()).select_from(Company).where(Company.profile_language != "en")
        )
        # Every company has its vector; those written in Japanese also a multilingual one.
        assert japanese
        assert stored == {
            embeddings.space_id(embeddings.get_encoder()): len(ids),
            embeddings.multilingual_space_id("company"): japanese,
        }
    result = CliRunner().invoke(cli, ["embed"])
    assert result.exit_code == 0, result.output
    assert f"company: 0 encoded, {len(ids)} unchanged" in result.stdout
    with get_sessionmaker()() as session:
        needs = session.scalar(select(func.count()).select_from(Solicitation))
    assert f"solicitation: {needs} encoded, 0 unchanged" in result.stdout
