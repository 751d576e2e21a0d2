"""CDNetworks edge VMP image management: typed actions, sync and async clients, paging, waiters.

```python
from cdnetworks.imagemanage import ImageManageClient

with ImageManageClient() as images:  # credentials from the environment or ~/.cdnetworks
    for image in images.iter_images(state="ACTIVE"):
        print(image.id, image.name)
```
"""

from ._version import __version__
from .actions import (
    ACTIONS,
    DEPLOY_VMP_IMAGE_PREHEATING,
    QUERY_VMP_IMAGE_PREHEATING_STATE,
    VMP_CREATE_IMAGE,
    VMP_QUERY_IMAGE,
    VMP_REMOVE_IMAGE,
)
from .client import AsyncImageManageClient, ImageManageClient
from .models import (
    DeployVmpImagePreheatingRequest,
    DeployVmpImagePreheatingResponse,
    Image,
    PreHeatingInfo,
    PreheatingStateData,
    QueryVmpImagePreheatingStateRequest,
    QueryVmpImagePreheatingStateResponse,
    VMPCreateImageRequest,
    VMPCreateImageResponse,
    VMPQueryImageRequest,
    VMPQueryImageResponse,
    VMPRemoveImageRequest,
    VMPRemoveImageResponse,
)
from .paging import ImageWalk, PaginationError
from .plugin import IMAGEMANAGE
from .waiters import (
    PREHEATING_DONE_STATES,
    PREHEATING_FAILED_STATES,
    Progress,
    WaiterError,
    WaitFailedError,
    WaitTimeoutError,
)

__all__ = [
    "ACTIONS",
    "DEPLOY_VMP_IMAGE_PREHEATING",
    "IMAGEMANAGE",
    "PREHEATING_DONE_STATES",
    "PREHEATING_FAILED_STATES",
    "QUERY_VMP_IMAGE_PREHEATING_STATE",
    "VMP_CREATE_IMAGE",
    "VMP_QUERY_IMAGE",
    "VMP_REMOVE_IMAGE",
    "AsyncImageManageClient",
    "DeployVmpImagePreheatingRequest",
    "DeployVmpImagePreheatingResponse",
    "Image",
    "ImageManageClient",
    "ImageWalk",
    "PaginationError",
    "PreHeatingInfo",
    "PreheatingStateData",
    "Progress",
    "QueryVmpImagePreheatingStateRequest",
    "QueryVmpImagePreheatingStateResponse",
    "VMPCreateImageRequest",
    "VMPCreateImageResponse",
    "VMPQueryImageRequest",
    "VMPQueryImageResponse",
    "VMPRemoveImageRequest",
    "VMPRemoveImageResponse",
    "WaitFailedError",
    "WaitTimeoutError",
    "WaiterError",
    "__version__",
]
