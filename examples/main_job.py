"""The SDK's main job, end to end: create an image from a VM, wait until it is ACTIVE,
pre-warm it on two edge nodes, wait until both are warm, then list your images.

    python examples/main_job.py
        against an in-process emulator of the API: no account, no credentials needed

    python examples/main_job.py --live --instance-uuid VM_UUID --nodes NODE_A NODE_B
        against the real API, with the credentials configured in the environment
        (CDNETWORKS_ACCESS_KEY / CDNETWORKS_SECRET_KEY) or ~/.cdnetworks/credentials.
        This creates a real image on your account: it only runs when you say --live.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import Any

from cdnetworks.core import CdnetworksError
from cdnetworks.core.waiters import Progress
from cdnetworks.imagemanage import ImageManageClient


def show(progress: Progress[Any]) -> None:
    print(f"    {progress.summary()}")


def main_job(images: ImageManageClient, instance_uuid: str, nodes: list[str], poll: float) -> None:
    created = images.vmp_create_image(
        name=f"golden-web-{uuid.uuid4().hex[:6]}", instance_uuid=instance_uuid
    )
    print(f"1. created image {created.id} (request id {created.request_id})")

    image = images.wait_for_image(created.id, poll_interval=poll, progress=show)
    print(f"2. image {image.id} is {image.state}, {image.size} GB")

    started = images.deploy_vmp_image_preheating(image_id=image.id, node_names=nodes)
    print(f"3. pre-warming on {', '.join(nodes)} (request id {started.request_id})")

    states = images.wait_for_preheating(image.id, nodes, poll_interval=poll, progress=show)
    print("4. warm: " + ", ".join(f"{node}={state}" for node, state in states.items()))

    print("5. your images:")
    for listed in images.iter_images(
        type="SNAPSHOT", sort_key="createdAt", sort_dir="desc", limit=10
    ):
        print(f"    {listed.id}  {listed.state:<8}  {listed.created_at}  {listed.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--live", action="store_true", help="use the real API (creates a real image)"
    )
    parser.add_argument("--instance-uuid", help="the VM to snapshot (required with --live)")
    parser.add_argument(
        "--nodes", nargs=2, metavar="NODE", help="two edge nodes (required with --live)"
    )
    args = parser.parse_args(argv)
    try:
        if args.live:
            if not args.instance_uuid or not args.nodes:
                parser.error("--live needs --instance-uuid and --nodes")
            with ImageManageClient() as images:
                print(f"against the real API at {images.core.endpoint}")
                main_job(images, args.instance_uuid, args.nodes, poll=10.0)
        else:
            from cdnetworks.core.emulator import Emulator

            emulator = Emulator()
            with ImageManageClient(
                **emulator.client_kwargs(), transport=emulator.transport()
            ) as images:
                print("against the in-process emulator (pass --live for the real API)")
                main_job(
                    images,
                    "4f1c2a9e-1b7d-4c55-9a43-0c8f3e2d7b10",
                    ["node-fra-01", "node-sin-02"],
                    poll=0.5,
                )
    except CdnetworksError as error:
        print(f"failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
