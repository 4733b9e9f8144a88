"""The production URLs plus /bench/hello/, the baseline the portfolio page is measured against."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from courseplatform.urls import urlpatterns as production_urlpatterns


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Hello, world", content_type="text/plain")


urlpatterns = [path("bench/hello/", hello, name="bench_hello"), *production_urlpatterns]
