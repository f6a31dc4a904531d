"""The rating links of a survey by email: one per score, 1 to 5, each signed with the
server's secret (as the unsubscribe links are) for its survey and score, so a link
cannot be altered to rate another survey or another score. A survey takes one
answer, whichever way it comes (a link or a reply with a number): the first stands,
so each link is good for one use and the others are spent with it."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["PATH", "SurveyLinks"]

PATH = "/survey"
_SALT = "switchboard.survey.rating"


class SurveyLinks:
    """Makes and reads the signed rating links."""

    def __init__(self, secret: str, base_url: str = "") -> None:
        self._serializer = URLSafeSerializer(secret, salt=_SALT)
        self._base_url = base_url.rstrip("/")

    def url(self, survey_id: int, score: int) -> str:
        return f"{self._base_url}{PATH}?t={self.token(survey_id, score)}"

    def token(self, survey_id: int, score: int) -> str:
        return self._serializer.dumps({"v": survey_id, "r": score})

    def read(self, token: str) -> tuple[int, int] | None:
        """(survey id, score) of a genuine token; None for a forged or altered one."""
        try:
            data = self._serializer.loads(token)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        survey_id, score = data.get("v"), data.get("r")
        if not isinstance(survey_id, int) or not isinstance(score, int) or not 1 <= score <= 5:
            return None
        return survey_id, score
