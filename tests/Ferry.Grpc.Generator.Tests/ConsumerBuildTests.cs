using System.Buffers;
using System.Reflection;
using Ferry.Generator.Tests.Nested;
using Ferry.Grpc.Generator.Tests.Infrastructure;
using Grpc.Testing;
using Helloworld;

namespace Ferry.Grpc.Generator.Tests;

/// <summary>
/// This project consumes its own Protos/ the way any Ferry project does: Grpc.Tools generates the messages and
/// Ferry.Grpc.Generator, referenced as an analyzer through Directory.Build.targets, the stubs tested here.
/// </summary>
public sealed class ConsumerBuildTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Method_descriptors_carry_path_kind_and_protobuf_marshallers()
    {
        var method = Greeter.Methods.SayHello;
        var buffer = new ArrayBufferWriter<byte>();
        method.RequestMarshaller.Serializer(new HelloRequest { Name = "Ferry" }, buffer);

        Assert.Equal("/helloworld.Greeter/SayHello", method.FullName);
        Assert.Equal(MethodType.Unary, method.Type);
        Assert.Equal(Greeter.ServiceName, method.ServiceName);
        Assert.Equal("Ferry", method.RequestMarshaller.Deserializer(new ReadOnlySequence<byte>(buffer.WrittenMemory)).Name);
    }

    [Fact]
    public void Interop_test_service_methods_use_messages_from_the_imported_files()
    {
        Assert.Equal(
            [
                "EmptyCall Unary Empty Empty",
                "UnaryCall Unary SimpleRequest SimpleResponse",
                "CacheableUnaryCall Unary SimpleRequest SimpleResponse",
                "StreamingOutputCall ServerStreaming StreamingOutputCallRequest StreamingOutputCallResponse",
                "StreamingInputCall ClientStreaming StreamingInputCallRequest StreamingInputCallResponse",
                "FullDuplexCall DuplexStreaming StreamingOutputCallRequest StreamingOutputCallResponse",
                "HalfDuplexCall DuplexStreaming StreamingOutputCallRequest StreamingOutputCallResponse",
                "UnimplementedCall Unary Empty Empty",
            ],
            typeof(TestService.Methods).GetFields().Select(Describe));
        Assert.Equal("/grpc.testing.UnimplementedService/UnimplementedCall", UnimplementedService.Methods.UnimplementedCall.FullName);
    }

    [Fact]
    public void Nested_messages_groups_and_well_known_types_resolve()
    {
        Assert.Equal(typeof(Method<Outer.Types.Inner, Outer.Types.Result>), Nested.Methods.Get.GetType());
        Assert.Equal(typeof(Method<Google.Protobuf.WellKnownTypes.Empty, global::Grpc.Testing.Empty>), Nested.Methods.Ping.GetType());
    }

    [Fact]
    public void A_Protobuf_item_with_FerryServices_None_gets_messages_but_no_stubs()
    {
        var assembly = typeof(ConsumerBuildTests).Assembly;

        Assert.NotNull(assembly.GetType("Ferry.OptOut.Ping"));
        Assert.Null(assembly.GetType("Ferry.OptOut.OptedOut"));
    }

    [Fact]
    public void An_implementation_binds_through_its_base_and_the_binder_registers_every_method()
    {
        var binder = new RecordingServiceBinder<GreetingService>();

        Bind(binder);

        Assert.Equal(
            ["SayHello Unary", "SayHellos ServerStreaming", "CollectHellos ClientStreaming", "Chat DuplexStreaming"],
            binder.Methods.Select(m => $"{m.Key} {m.Value.Type}"));
    }

    [Fact]
    public async Task Bound_handlers_call_the_override_and_default_to_unimplemented()
    {
        var binder = new RecordingServiceBinder<GreetingService>();
        Greeter.BindService(binder);
        var service = new GreetingService();

        // The handlers under test never touch the call context.
        var sayHello = (UnaryServerMethod<GreetingService, HelloRequest, HelloReply>)binder.Methods["SayHello"].Handler;
        var reply = await sayHello(service, new HelloRequest { Name = "Ferry" }, null!).WaitAsync(Timeout);
        var collect = (ClientStreamingServerMethod<GreetingService, HelloRequest, HelloReply>)binder.Methods["CollectHellos"].Handler;
        var error = await Assert.ThrowsAsync<RpcException>(() => collect(service, new EmptyStream<HelloRequest>(), null!)).WaitAsync(Timeout);

        Assert.Equal("Hello Ferry", reply.Message);
        Assert.Equal(new Status(StatusCode.Unimplemented, "Method helloworld.Greeter/CollectHellos is not implemented."), error.Status);
    }

    [Fact]
    public async Task Client_methods_start_calls_with_their_method_options_and_request()
    {
        var invoker = new RecordingCallInvoker(new HelloReply { Message = "hi" });
        var client = new Greeter.GreeterClient(invoker);
        var request = new HelloRequest { Name = "Ferry" };
        var headers = new Metadata();
        var deadline = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        using var cancellation = new CancellationTokenSource();
        var options = new CallOptions(compression: "gzip");

        var reply = await client.SayHelloAsync(request, headers, deadline, cancellation.Token).ResponseAsync.WaitAsync(Timeout);
        client.SayHellos(request, options).Dispose();
        client.CollectHellos().Dispose();
        client.Chat(options).Dispose();

        Assert.Equal("hi", reply.Message);
        Assert.Equal(
            [
                (Greeter.Methods.SayHello, new CallOptions(headers, deadline, cancellation.Token), request),
                (Greeter.Methods.SayHellos, options, request),
                (Greeter.Methods.CollectHellos, new CallOptions(), null),
                (Greeter.Methods.Chat, options, null),
            ],
            invoker.Calls);
    }

    /// <summary>Binds as a host does: through the interface every generated base class implements.</summary>
    private static void Bind<TService>(ServiceBinder<TService> binder)
        where TService : class, IBindableService =>
        TService.BindService(binder);

    private static string Describe(FieldInfo field)
    {
        var types = field.FieldType.GetGenericArguments();
        var type = (MethodType)field.FieldType.GetProperty("Type")!.GetValue(field.GetValue(null))!;
        return $"{field.Name} {type} {types[0].Name} {types[1].Name}";
    }

    private sealed class GreetingService : Greeter.GreeterBase
    {
        public override Task<HelloReply> SayHello(HelloRequest request, ServerCallContext context) =>
            Task.FromResult(new HelloReply { Message = "Hello " + request.Name });
    }
}
