"""``sagemaker_containers.beta.framework.errors``: the exceptions scripts catch or raise."""

from __future__ import annotations

import textwrap


class ClientError(Exception):
    """Separates the framework's errors from the user's."""


class ImportModuleError(ClientError):
    """The user module failed to import."""


class InstallModuleError(ClientError):
    """The user module failed to install."""


class ExecuteUserScriptError(ClientError):
    """The user script exited with an error."""


class ChannelDoesNotExistException(Exception):
    """A training channel was asked for that the job does not have."""

    def __init__(self, channel_name: str) -> None:
        super().__init__(f"Channel {channel_name} is not a valid channel")


class UnsupportedFormatError(Exception):
    """No default decoder or encoder for this content type (the server answers 415/406)."""

    def __init__(self, content_type: str, **kwargs: object) -> None:
        self.content_type = content_type
        self.message = textwrap.dedent(
            f"""Content type {content_type} is not supported by this framework.

            Please implement input_fn to to deserialize the request data or an output_fn to
            serialize the response. For more information, see the SageMaker Python SDK README."""
        )
        super().__init__(self.message)
