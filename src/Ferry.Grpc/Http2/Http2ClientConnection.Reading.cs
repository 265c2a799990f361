using System.Buffers;
using System.Buffers.Binary;
using Ferry.Grpc.Protocol;

namespace Ferry.Grpc.Http2;

/// <summary>
/// The read loop: whole frames from the transport, checked against RFC 9113 and applied. A broken frame is a
/// connection error (GOAWAY, then close); a bad response on one stream resets only that stream.
/// </summary>
internal sealed partial class Http2ClientConnection
{
    private readonly PooledBufferWriter _headerBlock = new();
    private int _continuationStreamId;
    private bool _continuationEndStream;
    private int _receiveWindow;
    // The connection window's full size: grows with the tuner's target so that two streams at full window fit.
    private int _connectionWindow;
    private readonly Http2WindowTuner? _windowTuner;
    private int _receivedUnacked;
    private readonly List<Http2ClientStream> _headersArrived = [];

    private async Task ReadLoopAsync()
    {
        Exception error;
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                if (_options.KeepAliveTime is not null)
                {
                    Volatile.Write(ref _lastReceived, _time.GetTimestamp());
                }

                var buffer = result.Buffer;
                using (Http2ReadBatch.Open())
                {
                    try
                    {
                        while (Http2FramePayload.TryReadFrame(ref buffer, _options.MaxFrameSize, out var header, out var payload))
                        {
                            ProcessFrame(header, payload);
                        }
                    }
                    finally
                    {
                        _input.AdvanceTo(buffer.Start, buffer.End);
                    }

                    SignalArrivedHeaders();
                }

                if (result.IsCompleted)
                {
                    error = new IOException(buffer.IsEmpty ? "The server closed the connection." : "The server closed the connection in the middle of a frame.");
                    break;
                }
            }
        }
        catch (Http2ConnectionException ex)
        {
            SendGoAwayBeforeClosing(ex.ErrorCode);
            error = ex;
        }
        catch (HpackDecodingException ex)
        {
            SendGoAwayBeforeClosing(Http2ErrorCode.CompressionError);
            error = new Http2ConnectionException(Http2ErrorCode.CompressionError, $"Bad HPACK data from the server: {ex.Message}");
        }
        catch (Exception ex)
        {
            error = ex;
        }

        Abort(error, flushPending: error is Http2ConnectionException);
        await _input.CompleteAsync().ConfigureAwait(false);
        _headerBlock.Dispose();
    }

    /// <summary>
    /// After a batch of frames: tells the callers whose response headers arrived. Deferred to here so a unary
    /// response's DATA and trailers, read in the same batch, are delivered first.
    /// </summary>
    private void SignalArrivedHeaders()
    {
        foreach (var stream in _headersArrived)
        {
            stream.SignalHeaders();
        }

        _headersArrived.Clear();
    }

    private void ProcessFrame(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (_continuationStreamId != 0 && header.Type != Http2FrameType.Continuation)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header.Type} frame while a header block awaited CONTINUATION.");
        }

        switch (header.Type)
        {
            case Http2FrameType.Data:
                OnData(header, payload);
                break;
            case Http2FrameType.Headers:
                OnHeaders(header, payload);
                break;
            case Http2FrameType.Continuation:
                OnContinuation(header, payload);
                break;
            case Http2FrameType.RstStream:
                OnRstStream(header, payload);
                break;
            case Http2FrameType.Settings:
                OnSettings(header, payload);
                break;
            case Http2FrameType.Ping:
                OnPing(header, payload);
                break;
            case Http2FrameType.GoAway:
                OnGoAway(header, payload);
                break;
            case Http2FrameType.WindowUpdate:
                OnWindowUpdate(header, payload);
                break;
            case Http2FrameType.Priority:
                RequireStream(header);
                if (header.Length != 5)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "PRIORITY frame whose length is not 5.");
                }

                break;
            case Http2FrameType.PushPromise:
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "PUSH_PROMISE received although push was disabled.");
            default:
                // Unknown frame types are ignored (RFC 9113 section 5.5).
                break;
        }
    }

    private void OnData(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        RequireStream(header);
        var data = Http2FramePayload.RemovePadding(header, payload);
        var signal = false;
        Http2ClientStream? finished = null;
        lock (_sync)
        {
            // The whole frame, padding included, counts against the windows (section 6.9.1).
            _receiveWindow -= header.Length;
            if (_receiveWindow < 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "The server sent more data than the connection window allowed.");
            }

            _receivedUnacked += header.Length;
            if (_receivedUnacked >= _connectionWindow / 2)
            {
                // Returned on arrival: the connection window never lets one unread stream stall the others; each
                // stream's own window bounds what it can hold here.
                Http2FrameWriter.WriteWindowUpdate(_pending, 0, _receivedUnacked);
                _receiveWindow += _receivedUnacked;
                _receivedUnacked = 0;
                signal = ScheduleWrite();
            }

            if (_windowTuner?.OnData(header.Length) == true)
            {
                Http2FrameWriter.WritePing(_pending, Http2WindowTuner.PingPayload, ack: false);
                signal |= ScheduleWrite();
            }

            if (FindStream(header) is { } stream)
            {
                if (!stream.HeadersReceived || stream.RemoteEnded)
                {
                    signal |= FailStreamLocked(stream, Http2ErrorCode.ProtocolError, stream.RemoteEnded ? "DATA after the end of the stream" : "DATA before the response headers");
                }
                else if ((stream.ReceiveWindow -= header.Length) < 0)
                {
                    signal |= FailStreamLocked(stream, Http2ErrorCode.FlowControlError, "the server sent more data than the stream window allowed");
                }
                else
                {
                    stream.DeliverData(data);
                    // Padding is never seen by the reader, so its share of the window is given back now.
                    stream.UnackedConsumed += header.Length - (int)data.Length;
                    if (header.HasFlag(Http2FrameFlags.EndStream))
                    {
                        finished = EndRemote(stream);
                    }
                }
            }
        }

        AfterRead(signal, finished);
    }

    private void OnHeaders(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        RequireStream(header);
        var fragment = Http2FramePayload.RemovePadding(header, payload);
        if (header.HasFlag(Http2FrameFlags.Priority))
        {
            if (fragment.Length < 5)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "HEADERS frame too short for its priority fields.");
            }

            fragment = fragment.Slice(5);
        }

        _headerBlock.Reset();
        foreach (var segment in fragment)
        {
            _headerBlock.Write(segment.Span);
        }

        if (header.HasFlag(Http2FrameFlags.EndHeaders))
        {
            OnHeaderBlock(header.StreamId, header.HasFlag(Http2FrameFlags.EndStream));
        }
        else
        {
            _continuationStreamId = header.StreamId;
            _continuationEndStream = header.HasFlag(Http2FrameFlags.EndStream);
        }
    }

    private void OnContinuation(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (_continuationStreamId == 0 || header.StreamId != _continuationStreamId)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "CONTINUATION frame without a header block in progress on its stream.");
        }

        if (_headerBlock.WrittenCount + payload.Length > _options.MaxHeaderListSize * 2L)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, "Header block larger than the header list limit allows.");
        }

        foreach (var segment in payload)
        {
            _headerBlock.Write(segment.Span);
        }

        if (header.HasFlag(Http2FrameFlags.EndHeaders))
        {
            _continuationStreamId = 0;
            OnHeaderBlock(header.StreamId, _continuationEndStream);
        }
    }

    /// <summary>
    /// A complete header block. It is decoded even for a stream that is gone, because HPACK state must stay in step
    /// with the server's.
    /// </summary>
    private void OnHeaderBlock(int streamId, bool endStream)
    {
        var signal = false;
        Http2ClientStream? finished = null;
        lock (_sync)
        {
            var stream = FindStream(streamId);
            if (stream is null || stream.RemoteEnded)
            {
                _decoder.Decode(_headerBlock.WrittenSpan, HpackDiscardingSink.Instance);
                if (stream is not null)
                {
                    signal = FailStreamLocked(stream, Http2ErrorCode.StreamClosed, "HEADERS after the end of the stream");
                }
            }
            else
            {
                stream.BeginHeaderBlock();
                var hadHeaders = stream.HeadersReceived;
                string? problem;
                try
                {
                    _decoder.Decode(_headerBlock.WrittenSpan, stream);
                    problem = stream.EndHeaderBlock(endStream);
                }
                catch (HeaderListTooLargeException)
                {
                    problem = $"response header list larger than {_options.MaxHeaderListSize} bytes";
                }

                if (problem is not null)
                {
                    signal = FailStreamLocked(stream, Http2ErrorCode.ProtocolError, problem);
                }
                else
                {
                    if (!hadHeaders && stream.HeadersReceived)
                    {
                        _headersArrived.Add(stream);
                    }

                    if (endStream)
                    {
                        finished = EndRemote(stream);
                    }
                }
            }
        }

        AfterRead(signal, finished);
    }

    private void OnRstStream(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        RequireStream(header);
        Http2FramePayload.RequireLength(header, 4);
        var code = (Http2ErrorCode)Http2FramePayload.ReadUInt32(payload);
        Http2ClientStream? finished = null;
        lock (_sync)
        {
            if (FindStream(header) is { } stream)
            {
                var refused = code == Http2ErrorCode.RefusedStream;
                stream.Fail(new Http2StreamException(code, refused, refused
                    ? "The server refused the stream before processing it (REFUSED_STREAM)."
                    : $"The server reset the stream ({code}).")
                { ResetByPeer = true });
                CloseStream(stream);
                finished = stream;
            }
        }

        AfterRead(false, finished);
    }

    private void OnSettings(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "SETTINGS frame on a stream.");
        }

        if (header.HasFlag(Http2FrameFlags.Ack))
        {
            if (header.Length != 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "SETTINGS acknowledgement with a payload.");
            }

            return;
        }

        if (header.Length % 6 != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "SETTINGS frame whose length is not a multiple of 6.");
        }

        Span<byte> bytes = header.Length <= 256 ? stackalloc byte[header.Length] : new byte[header.Length];
        payload.CopyTo(bytes);
        bool signal;
        lock (_sync)
        {
            for (var offset = 0; offset < bytes.Length; offset += 6)
            {
                ApplySetting((Http2SettingId)BinaryPrimitives.ReadUInt16BigEndian(bytes[offset..]), BinaryPrimitives.ReadUInt32BigEndian(bytes[(offset + 2)..]));
            }

            Http2FrameWriter.WriteSettingsAck(_pending);
            signal = ScheduleWrite();
            _sendTurns.WakeWindowBlocked();
        }

        _settingsReceived.TrySetResult();
        AfterRead(signal, null);
        OnCapacityChanged();
    }

    private void ApplySetting(Http2SettingId id, uint value)
    {
        switch (id)
        {
            case Http2SettingId.HeaderTableSize:
                _encoder.SetPeerMaxTableSize((int)Math.Min(value, int.MaxValue));
                break;
            case Http2SettingId.EnablePush:
                if (value != 0)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"A server sent SETTINGS_ENABLE_PUSH = {value}.");
                }

                break;
            case Http2SettingId.MaxConcurrentStreams:
                _maxConcurrentStreams = (int)Math.Min(value, int.MaxValue);
                break;
            case Http2SettingId.InitialWindowSize:
                // The change applies to every open stream's window.
                var initialWindow = Http2SettingRules.InitialWindowSize(value);
                var delta = initialWindow - _peerInitialWindow;
                _peerInitialWindow = initialWindow;
                foreach (var stream in _streams.Values)
                {
                    stream.SendWindow = Http2SettingRules.AdjustedWindow(stream.SendWindow, delta);
                }

                break;
            case Http2SettingId.MaxFrameSize:
                _peerMaxFrameSize = Http2SettingRules.MaxFrameSize(value);
                break;
            case Http2SettingId.MaxHeaderListSize:
                _peerMaxHeaderListSize = value;
                break;
        }
    }

    private void OnPing(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "PING frame on a stream.");
        }

        Http2FramePayload.RequireLength(header, 8);
        var value = Http2FramePayload.ReadInt64(payload);
        bool signal;
        lock (_sync)
        {
            if (header.HasFlag(Http2FrameFlags.Ack))
            {
                if (value == KeepAlivePingPayload)
                {
                    _pingSentAt = 0;
                }

                if (value == Http2WindowTuner.PingPayload && _windowTuner?.OnPingAck() == true && _failure is null
                    && _windowTuner.GrowConnection(ref _connectionWindow, ref _receiveWindow) is var increment and > 0)
                {
                    Http2FrameWriter.WriteWindowUpdate(_pending, 0, increment);
                    signal = ScheduleWrite();
                }
                else
                {
                    signal = false;
                }
            }
            else
            {
                Http2FrameWriter.WritePing(_pending, value, ack: true);
                signal = ScheduleWrite();
            }
        }

        AfterRead(signal, null);
    }

    private void OnGoAway(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        if (header.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "GOAWAY frame on a stream.");
        }

        if (header.Length < 8)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "GOAWAY frame shorter than 8 bytes.");
        }

        Span<byte> bytes = stackalloc byte[8];
        payload.Slice(0, 8).CopyTo(bytes);
        var lastStreamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(bytes) & 0x7FFF_FFFF);
        var code = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
        var debug = DebugText(payload.Slice(8));
        var why = debug.Length > 0 ? $"GOAWAY {code}: {debug}" : $"GOAWAY {code}";
        lock (_sync)
        {
            TooManyPings |= code == Http2ErrorCode.EnhanceYourCalm && debug == "too_many_pings";
            _goAwayReason = why;
            _goAwayLastStreamId = Math.Min(_goAwayLastStreamId, lastStreamId);
            foreach (var stream in _streams.Values.Where(s => s.Id > _goAwayLastStreamId).ToArray())
            {
                // Never processed by the server: safe to send again elsewhere (section 6.8).
                stream.Fail(new Http2StreamException(code, true, $"The server is shutting the connection down ({why}) and did not process this stream.") { ConnectionClosing = true });
                CloseStream(stream);
            }

            StopTakingStreams();
        }

        OnCapacityChanged();
    }

    /// <summary>GOAWAY's opaque debug data as printable ASCII (what servers put there), cut to a sane length for messages.</summary>
    private static string DebugText(ReadOnlySequence<byte> data)
    {
        Span<byte> bytes = stackalloc byte[(int)Math.Min(data.Length, 128)];
        data.Slice(0, bytes.Length).CopyTo(bytes);
        var text = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            text[i] = bytes[i] is >= 0x20 and < 0x7F ? (char)bytes[i] : '?';
        }

        return new string(text);
    }

    private void OnWindowUpdate(Http2FrameHeader header, in ReadOnlySequence<byte> payload)
    {
        Http2FramePayload.RequireLength(header, 4);
        var increment = (int)(Http2FramePayload.ReadUInt32(payload) & 0x7FFF_FFFF);
        var signal = false;
        Http2ClientStream? finished = null;
        lock (_sync)
        {
            if (header.StreamId == 0)
            {
                if (increment == 0)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "WINDOW_UPDATE with an increment of 0 on the connection.");
                }

                _sendWindow += increment;
                if (_sendWindow > int.MaxValue)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "WINDOW_UPDATE made the connection window exceed 2^31-1.");
                }

                GrantWindowLocked();
            }
            else if (FindStream(header) is { } stream)
            {
                if (increment == 0 || (stream.SendWindow += increment) > int.MaxValue)
                {
                    signal = FailStreamLocked(stream, increment == 0 ? Http2ErrorCode.ProtocolError : Http2ErrorCode.FlowControlError, "invalid WINDOW_UPDATE on the stream");
                    finished = stream;
                }
                else
                {
                    _sendTurns.WakeIfWindowBlocked(stream);
                }
            }
        }

        AfterRead(signal, finished);
    }

    /// <summary>The server ended its side (under the lock); returns the stream if that finished it both ways.</summary>
    private Http2ClientStream? EndRemote(Http2ClientStream stream)
    {
        stream.RemoteEnded = true;
        stream.CompleteBody();
        if (!stream.LocalEnded)
        {
            return null;
        }

        CloseStream(stream);
        return stream;
    }

    /// <summary>Resets a stream for a response that broke the protocol (under the lock); true when the writer needs a signal.</summary>
    private bool FailStreamLocked(Http2ClientStream stream, Http2ErrorCode code, string problem)
    {
        Http2FrameWriter.WriteRstStream(_pending, stream.Id, code);
        stream.Fail(new Http2StreamException(code, false, $"Malformed response from the server: {problem}."));
        CloseStream(stream);
        return ScheduleWrite();
    }

    private void AfterRead(bool signal, Http2ClientStream? finished)
    {
        if (signal)
        {
            // Answers to the server's frames leave with whatever else this read batch queued.
            Http2ReadBatch.Wake(_writeSignal, inline: false);
        }

        if (finished is not null)
        {
            OnCapacityChanged();
        }
    }

    private Http2ClientStream? FindStream(Http2FrameHeader header) => FindStream(header.StreamId);

    /// <summary>The open stream with this id; null for one that already closed. An id never opened is a protocol error.</summary>
    private Http2ClientStream? FindStream(int streamId)
    {
        if (_streams.TryGetValue(streamId, out var stream))
        {
            return stream;
        }

        if ((streamId & 1) == 0 || streamId >= _nextStreamId)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"Frame on stream {streamId}, which the client never opened.");
        }

        return null;
    }

    private static void RequireStream(Http2FrameHeader header)
    {
        if (header.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"{header.Type} frame on stream 0.");
        }
    }

    private void SendGoAwayBeforeClosing(Http2ErrorCode code)
    {
        lock (_sync)
        {
            if (_failure is not null)
            {
                return;
            }

            // The last stream id names server-initiated streams, of which a client accepts none.
            Http2FrameWriter.WriteGoAway(_pending, 0, code);
            ScheduleWrite();
        }

        _writeSignal.Set();
    }
}
