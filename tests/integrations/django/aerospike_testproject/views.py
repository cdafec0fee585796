"""Views that use the session the way applications do."""

from django.http import HttpRequest, JsonResponse


def visit(request: HttpRequest) -> JsonResponse:
    request.session["visits"] = request.session.get("visits", 0) + 1
    return JsonResponse({"visits": request.session["visits"]})


async def avisit(request: HttpRequest) -> JsonResponse:
    visits = await request.session.aget("visits", 0) + 1
    await request.session.aset("visits", visits)
    return JsonResponse({"visits": visits})


def logout(request: HttpRequest) -> JsonResponse:
    request.session.flush()
    return JsonResponse({"visits": 0})


def plain(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"session": "not used"})
