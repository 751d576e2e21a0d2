"""The core of the CDNetworks SDK for Python.

Credentials, AK/SK signing, the request pipeline over httpx (sync and async), retries, typed
errors and pluggy hooks. Products (``cdnetworks.imagemanage``, ...) build on it; ``invoke``
reaches any API path directly.
"""

from ._version import __version__
from .action import Action, Product
from .client import AsyncClient, Client, Result
from .config import Timeout
from .credentials import DEFAULT_ENDPOINT, Credentials
from .discovery import products
from .encoding import path_segment
from .errors import (
    ApiError,
    AttemptFailure,
    AuthenticationError,
    AuthError,
    BusinessError,
    CdnetworksError,
    ClientUsageError,
    ConfigurationError,
    ConnectError,
    CredentialsError,
    DecodeError,
    NotFoundError,
    PermissionDeniedError,
    PluginError,
    ProtocolError,
    RateLimitBackendError,
    ResponseTooLargeError,
    ServerError,
    ThrottledError,
    TransportError,
    TransportTimeoutError,
    ValidationError,
)
from .models import RequestModel, ResponseModel
from .operations import CallInfo, Operation, current_operation
from .options import ClientOptions
from .pipeline import RequestDraft
from .plugins.logging_plugin import LoggingPlugin
from .plugins.manager import PLUGINS_GROUP, PRODUCTS_GROUP, refresh_entry_points
from .plugins.markers import hookimpl, hookspec
from .plugins.metrics_plugin import MetricsCollector
from .ratelimit import RateLimiter
from .registry import DeferredProduct, ProductRegistry
from .retry import RetryPolicy, RetryQuota
from .signing import AkskAuth, Clock

__all__ = [
    "DEFAULT_ENDPOINT",
    "PLUGINS_GROUP",
    "PRODUCTS_GROUP",
    "Action",
    "AkskAuth",
    "ApiError",
    "AsyncClient",
    "AttemptFailure",
    "AuthError",
    "AuthenticationError",
    "BusinessError",
    "CallInfo",
    "CdnetworksError",
    "Client",
    "ClientOptions",
    "ClientUsageError",
    "Clock",
    "ConfigurationError",
    "ConnectError",
    "Credentials",
    "CredentialsError",
    "DecodeError",
    "DeferredProduct",
    "LoggingPlugin",
    "MetricsCollector",
    "NotFoundError",
    "Operation",
    "PermissionDeniedError",
    "PluginError",
    "Product",
    "ProductRegistry",
    "ProtocolError",
    "RateLimitBackendError",
    "RateLimiter",
    "RequestDraft",
    "RequestModel",
    "ResponseModel",
    "ResponseTooLargeError",
    "Result",
    "RetryPolicy",
    "RetryQuota",
    "ServerError",
    "ThrottledError",
    "Timeout",
    "TransportError",
    "TransportTimeoutError",
    "ValidationError",
    "__version__",
    "current_operation",
    "hookimpl",
    "hookspec",
    "path_segment",
    "products",
    "refresh_entry_points",
]
