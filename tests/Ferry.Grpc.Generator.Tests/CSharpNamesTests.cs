using Ferry.Grpc.Generator.Resolution;

namespace Ferry.Grpc.Generator.Tests;

public sealed class CSharpNamesTests
{
    [Theory]
    [InlineData("helloworld", "Helloworld")]
    [InlineData("grpc.testing", "Grpc.Testing")]
    [InlineData("my_pkg.v1", "MyPkg.V1")]
    [InlineData("google.api.v1beta1", "Google.Api.V1Beta1")]
    [InlineData("a.b_c.dEF", "A.BC.DEF")]
    [InlineData("Already.Pascal", "Already.Pascal")]
    [InlineData("", "")]
    public void Package_becomes_namespace_as_protoc_names_it(string package, string expected) =>
        Assert.Equal(expected, CSharpNames.UnderscoresToPascalCase(package));

    [Theory]
    [InlineData("Acme", "Order", "global::Acme.Order")]
    [InlineData("Acme", "Order.Line.Detail", "global::Acme.Order.Types.Line.Types.Detail")]
    [InlineData("", "Order", "global::Order")]
    public void Nested_types_live_in_Types_classes(string ns, string name, string expected) =>
        Assert.Equal(expected, CSharpNames.TypeName(ns, name));
}
