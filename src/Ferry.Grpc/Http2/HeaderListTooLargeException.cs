namespace Ferry.Grpc.Http2;

/// <summary>
/// A well-formed header block whose fields exceed the advertised SETTINGS_MAX_HEADER_LIST_SIZE. Separate from
/// <see cref="HpackDecodingException"/> because the decoder has kept its dynamic table in sync, so only the stream
/// needs resetting, not the connection.
/// </summary>
internal sealed class HeaderListTooLargeException(string message) : Exception(message);
