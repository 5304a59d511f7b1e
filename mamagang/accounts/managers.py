from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import BaseUserManager

from mamagang.core.validators import normalize_mainland_mobile


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, phone: str, password: str | None, **extra: Any):
        phone = normalize_mainland_mobile(phone)
        email = self.normalize_email(extra.pop("email", "") or "")
        user = self.model(phone=phone, email=email, **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, phone: str, password: str | None = None, **extra: Any):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(phone, password, **extra)

    def create_superuser(self, phone: str, password: str | None = None, **extra: Any):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not extra["is_staff"] or not extra["is_superuser"]:
            raise ValueError("A superuser needs is_staff and is_superuser.")
        return self._create_user(phone, password, **extra)

    def get_by_natural_key(self, username: str):
        return self.get(**{self.model.USERNAME_FIELD: normalize_mainland_mobile(username)})
