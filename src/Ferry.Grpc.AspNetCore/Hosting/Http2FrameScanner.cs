using System.Runtime.CompilerServices;
using Ferry.Grpc.Http2;

namespace Ferry.Grpc.AspNetCore.Hosting;

/// <summary>
/// Finds the frame headers in one direction of an HTTP/2 connection whose bytes arrive in arbitrary pieces. Payloads
/// are skipped by count, never copied; only a frame header split between two pieces is stashed (9 bytes at most).
/// The client-to-server direction starts with the connection preface; bytes that are not HTTP/2 (another protocol,
/// or ciphertext when the scanner sits before TLS) mark the scanner <see cref="IsFailed"/> and it stops looking.
/// </summary>
internal struct Http2FrameScanner
{
    private int _prefaceMatched;
    private long _payloadRemaining;
    private int _headerFilled;
    private HeaderStash _header;

    private Http2FrameScanner(int prefaceMatched) => _prefaceMatched = prefaceMatched;

    /// <summary>"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (RFC 9113 section 3.4).</summary>
    internal static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    public readonly bool IsFailed => _prefaceMatched < 0;

    /// <summary>Every byte seen so far belongs to a whole frame: another frame may be put in between here.</summary>
    public readonly bool IsAtFrameBoundary =>
        _prefaceMatched == ClientPreface.Length && _headerFilled == 0 && _payloadRemaining == 0;

    public static Http2FrameScanner ClientToServer() => new(0);

    public static Http2FrameScanner ServerToClient() => new(ClientPreface.Length);

    /// <summary>
    /// Reads from the front of <paramref name="bytes"/> up to and including the next complete frame header (true), or
    /// all of it when no header completes within it (false).
    /// </summary>
    public bool TryReadFrameHeader(ref ReadOnlySpan<byte> bytes, out Http2FrameHeader header)
    {
        header = default;
        if (_prefaceMatched < ClientPreface.Length && !TryMatchPreface(ref bytes))
        {
            return false;
        }

        while (!bytes.IsEmpty)
        {
            if (_payloadRemaining > 0)
            {
                var skip = (int)Math.Min(_payloadRemaining, bytes.Length);
                _payloadRemaining -= skip;
                bytes = bytes[skip..];
                continue;
            }

            if (_headerFilled == 0 && bytes.Length >= Http2FrameHeader.Size)
            {
                header = Http2FrameHeader.Read(bytes);
                bytes = bytes[Http2FrameHeader.Size..];
            }
            else
            {
                var take = Math.Min(Http2FrameHeader.Size - _headerFilled, bytes.Length);
                bytes[..take].CopyTo(((Span<byte>)_header)[_headerFilled..]);
                _headerFilled += take;
                bytes = bytes[take..];
                if (_headerFilled < Http2FrameHeader.Size)
                {
                    return false;
                }

                _headerFilled = 0;
                header = Http2FrameHeader.Read(_header);
            }

            _payloadRemaining = header.Length;
            return true;
        }

        return false;
    }

    private bool TryMatchPreface(ref ReadOnlySpan<byte> bytes)
    {
        if (IsFailed)
        {
            bytes = default;
            return false;
        }

        var take = Math.Min(ClientPreface.Length - _prefaceMatched, bytes.Length);
        if (!bytes[..take].SequenceEqual(ClientPreface.Slice(_prefaceMatched, take)))
        {
            _prefaceMatched = -1;
            bytes = default;
            return false;
        }

        _prefaceMatched += take;
        bytes = bytes[take..];
        return _prefaceMatched == ClientPreface.Length;
    }

    [InlineArray(Http2FrameHeader.Size)]
    private struct HeaderStash
    {
        private byte _first;
    }
}
