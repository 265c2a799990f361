namespace Ferry.Grpc.Http2;

/// <summary>A malformed header block; the HTTP/2 layer answers it with a connection error COMPRESSION_ERROR.</summary>
internal sealed class HpackDecodingException(string message) : Exception(message);
