"""One error family for SOPS failures, with the real sops's exit codes (cmd/sops/codes).

Messages name the file and the key path, never a plaintext value.
"""

from __future__ import annotations

from secrets_iac.errors import UserError

# The exit statuses this package raises, named after sops's cmd/sops/codes (name there on the right).
# Each error class below carries one as its `exit_code`; nothing passes a literal code.
EXIT_GENERIC = 1  # ErrorGeneric
EXIT_CANNOT_READ = 2  # CouldNotReadInputFile
EXIT_CANNOT_WRITE = 3  # CouldNotWriteOutputFile
EXIT_INVALID_SET_FORMAT = 7  # ErrorInvalidSetFormat
EXIT_DECRYPTING_TREE = 25  # ErrorDecryptingTree
EXIT_MAC_MISMATCH = 51  # MacMismatch
EXIT_MAC_NOT_FOUND = 52  # MacNotFound
EXIT_CONFIG_NOT_FOUND = 61  # ConfigFileNotFound
EXIT_EMPTY_FILE = 92  # NeedAtLeastOneDocument
EXIT_NO_ENCRYPTION_KEY = 111  # NoEncryptionKeyFound
EXIT_DATA_KEY = 128  # CouldNotRetrieveKey
EXIT_FILE_NOT_MODIFIED = 200  # FileHasNotBeenModified
EXIT_NO_EDITOR = 201  # NoEditorFound
EXIT_ALREADY_ENCRYPTED = 203  # FileAlreadyEncrypted


class SopsError(UserError):
    """A SOPS file, key or rule problem; the message never contains plaintext."""

    exit_code = EXIT_GENERIC


class FormatError(SopsError):
    """The file cannot be parsed as the store it claims to be."""

    exit_code = EXIT_CANNOT_READ


class EmptyFileError(FormatError):
    """The file holds no document at all."""

    exit_code = EXIT_EMPTY_FILE


class MetadataError(SopsError):
    """The `sops` metadata is missing, incomplete or invalid."""

    exit_code = EXIT_GENERIC


class DecryptionError(SopsError):
    """A value does not decrypt (wrong data key, changed ciphertext, IV, tag or key path)."""

    exit_code = EXIT_DECRYPTING_TREE


class MacMismatchError(SopsError):
    """The recomputed MAC differs: a value was changed, removed or reordered, or lastmodified changed."""

    exit_code = EXIT_MAC_MISMATCH


class MacNotFoundError(MacMismatchError):
    """The metadata has no MAC to check the values against."""

    exit_code = EXIT_MAC_NOT_FOUND


class DataKeyError(SopsError):
    """No available identity unwraps the data key (or too few Shamir shares)."""

    exit_code = EXIT_DATA_KEY


class ConfigError(SopsError):
    """`.sops.yaml` is missing, invalid, or has no rule for the file."""

    exit_code = EXIT_CONFIG_NOT_FOUND


class NoEncryptionKeyError(SopsError):
    """A creation rule gives no recipient to encrypt to."""

    exit_code = EXIT_NO_ENCRYPTION_KEY


class AlreadyEncryptedError(SopsError):
    """Encrypting a file that already has sops metadata."""

    exit_code = EXIT_ALREADY_ENCRYPTED


class IndexFormatError(SopsError):
    """A `set`/`unset` index or value that is not in sops's syntax (`["key"][0]`, a JSON value)."""

    exit_code = EXIT_INVALID_SET_FORMAT


class KeyNotFoundError(SopsError):
    """`unset` of a key or list position the document does not have."""

    exit_code = EXIT_GENERIC


class EditorError(SopsError):
    """No editor to run, or the editor failed; the file is left as it was."""

    exit_code = EXIT_NO_EDITOR


class WriteError(SopsError):
    """The file cannot be written, or changed on disk while it was open."""

    exit_code = EXIT_CANNOT_WRITE
