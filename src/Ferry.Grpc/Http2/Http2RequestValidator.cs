using System.Globalization;

namespace Ferry.Grpc.Http2;

/// <summary>
/// Collects one request header block (or trailer block) as <see cref="HpackDecoder"/> decodes it and checks it
/// against RFC 9113 sections 8.2 and 8.3. One per server connection, reused block after block by its read loop. A
/// malformed field is only noted: the decoder must still run to the end of the block to keep HPACK in step, and
/// <see cref="End"/> reports the first problem.
/// </summary>
internal sealed class Http2RequestValidator : IHpackHeaderSink
{
    private bool _trailers;
    private bool _regularSeen;
    private string? _problem;
    private string? _host;

    public string? Method { get; private set; }

    public string? Scheme { get; private set; }

    public string? Authority { get; private set; }

    public string? Path { get; private set; }

    /// <summary>The content-length header's value; -1 without one.</summary>
    public long ContentLength { get; private set; }

    /// <summary>The regular fields in order; a new list each block, handed to the stream.</summary>
    public List<KeyValuePair<string, string>> Fields { get; private set; } = [];

    public void BeginRequest()
    {
        Reset(trailers: false);
        // Sized for a typical gRPC request: content-type, te, user-agent, grpc-timeout, an encoding or two, metadata.
        Fields = new List<KeyValuePair<string, string>>(8);
    }

    public void BeginTrailers()
    {
        Reset(trailers: true);
        Fields = new List<KeyValuePair<string, string>>(2);
    }

    public void OnHeader(string name, string value)
    {
        if (_problem is not null)
        {
            return;
        }

        if (name.Length > 0 && name[0] == ':')
        {
            OnPseudoHeader(name, value);
            return;
        }

        _regularSeen = true;
        if (!Http2HeaderRules.IsValidFieldName(name))
        {
            _problem = $"invalid header name '{name}'";
        }
        else if (!Http2HeaderRules.IsValidFieldValue(value))
        {
            _problem = $"header '{name}' has a value with NUL, CR or LF";
        }
        else if (Http2HeaderRules.IsConnectionSpecific(name))
        {
            _problem = $"connection-specific header '{name}'";
        }
        else
        {
            switch (name)
            {
                case "te" when !value.Equals("trailers", StringComparison.OrdinalIgnoreCase):
                    _problem = "te header with a value other than 'trailers'";
                    return;
                case "content-length":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var length) || (ContentLength >= 0 && ContentLength != length))
                    {
                        _problem = $"invalid content-length '{value}'";
                        return;
                    }

                    ContentLength = length;
                    break;
                case "host":
                    _host = value;
                    break;
            }

            Fields.Add(new KeyValuePair<string, string>(name, value));
        }
    }

    /// <summary>After the whole block was decoded: null if it is a valid request (or trailers), else what is wrong.</summary>
    public string? End(bool endStream)
    {
        if (_problem is not null)
        {
            return _problem;
        }

        if (_trailers)
        {
            return endStream ? null : "trailers without END_STREAM";
        }

        if (Method is null)
        {
            return "no :method";
        }

        if (Method == "CONNECT")
        {
            // Section 8.5: CONNECT names only the authority to connect to.
            if (Scheme is not null || Path is not null || Authority is null)
            {
                return "CONNECT request with :scheme or :path, or without :authority";
            }
        }
        else if (Scheme is null || Path is null)
        {
            return Scheme is null ? "no :scheme" : "no :path";
        }
        else if (Path.Length == 0 || (Path[0] != '/' && !(Path == "*" && Method == "OPTIONS")))
        {
            return $"invalid :path '{Path}'";
        }

        if (_host is not null)
        {
            // Section 8.3.1: host stands in for a missing :authority and must not contradict a present one.
            if (Authority is null)
            {
                Authority = _host;
            }
            else if (!Authority.Equals(_host, StringComparison.OrdinalIgnoreCase))
            {
                return "host header differs from :authority";
            }
        }

        return null;
    }

    private void OnPseudoHeader(string name, string value)
    {
        if (_trailers)
        {
            _problem = $"pseudo-header '{name}' in trailers";
            return;
        }

        if (_regularSeen)
        {
            _problem = $"pseudo-header '{name}' after a regular header";
            return;
        }

        if (!Http2HeaderRules.IsValidFieldValue(value))
        {
            _problem = $"pseudo-header '{name}' has a value with NUL, CR or LF";
            return;
        }

        var duplicate = false;
        switch (name)
        {
            case ":method":
                duplicate = Method is not null;
                Method = value;
                break;
            case ":scheme":
                duplicate = Scheme is not null;
                Scheme = value;
                break;
            case ":authority":
                duplicate = Authority is not null;
                Authority = value;
                break;
            case ":path":
                duplicate = Path is not null;
                Path = value;
                break;
            default:
                // :status belongs to responses; :protocol (extended CONNECT) needs a setting this server never sends.
                _problem = $"unknown pseudo-header '{name}' in a request";
                return;
        }

        if (duplicate)
        {
            _problem = $"repeated pseudo-header '{name}'";
        }
        else if (value.Length == 0 && name != ":authority")
        {
            _problem = $"empty pseudo-header '{name}'";
        }
    }

    private void Reset(bool trailers)
    {
        _trailers = trailers;
        _regularSeen = false;
        _problem = null;
        _host = null;
        Method = null;
        Scheme = null;
        Authority = null;
        Path = null;
        ContentLength = -1;
    }
}
