"""Process-wide caches for work the fakes repeat without need; no test sees a difference.

- botocore: every moto mock starts a fresh boto3 session, and each session parsed every
  service model it used again (a sixth of the handler tests' time). One loader serves
  all sessions; the models are read-only data files.
- moto: each request listed its response class's methods with ``inspect.getmembers``.
- moto KMS: each key generated a 2048-bit RSA key pair it only needs for asymmetric
  signing, which no test does; keys of one spec share one pair.
"""

from __future__ import annotations

import functools

import botocore.loaders
import botocore.session


def install() -> None:
    shared_loader = functools.cache(botocore.loaders.create_loader)

    def register_shared_loader(session: botocore.session.Session) -> None:
        # As botocore registers it, but one loader per data path for all sessions.
        session._components.lazy_register_component(
            "data_loader", lambda: shared_loader(session.get_config_variable("data_path"))
        )

    botocore.session.Session._register_data_loader = register_shared_loader  # type: ignore[method-assign]

    from moto.core import responses
    from moto.kms import models as kms_models

    responses.method_names_from_class = functools.cache(responses.method_names_from_class)
    kms_models.generate_private_key = functools.cache(kms_models.generate_private_key)
