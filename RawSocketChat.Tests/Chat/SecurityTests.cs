using System.Text;
using RawSocketChat.Chat.Accounts;

namespace RawSocketChat.Tests.Chat;

public sealed class PasswordHasherTests
{
    [Fact]
    public void A_hash_verifies_its_password_only()
    {
        var hasher = new PasswordHasher(1000);
        string stored = hasher.Hash("correct horse battery");
        Assert.StartsWith("pbkdf2-sha256$1000$", stored);
        Assert.True(PasswordHasher.Verify("correct horse battery", stored));
        Assert.False(PasswordHasher.Verify("correct horse batterY", stored));
        Assert.False(PasswordHasher.Verify("", stored));
    }

    [Fact]
    public void Each_hash_has_its_own_salt()
    {
        var hasher = new PasswordHasher(1000);
        Assert.NotEqual(hasher.Hash("same password"), hasher.Hash("same password"));
    }

    [Fact]
    public void Hashes_made_with_another_iteration_count_still_verify()
    {
        string old = new PasswordHasher(2000).Hash("long enough");
        Assert.True(PasswordHasher.Verify("long enough", old));
    }

    [Fact]
    public void The_default_is_at_least_600000_iterations()
    {
        Assert.True(new RawSocketChat.Hosting.ServerOptions().Pbkdf2Iterations >= 600_000);
    }

    [Fact]
    public void Matches_the_rfc6070_style_reference_value()
    {
        // PBKDF2-HMAC-SHA256("password", "salt", 1, 32) — a published test vector.
        string stored = "pbkdf2-sha256$1$" + Convert.ToBase64String(Encoding.ASCII.GetBytes("salt")) + "$"
            + Convert.ToBase64String(Convert.FromHexString("120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"));
        Assert.True(PasswordHasher.Verify("password", stored));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("pbkdf2-sha256$x$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$1000$not base64$AAAA")]
    [InlineData("md5$1$AAAA$AAAA")]
    public void Malformed_stored_hashes_never_verify(string stored) => Assert.False(PasswordHasher.Verify("anything", stored));
}

public sealed class SessionTokensTests
{
    [Fact]
    public void Tokens_are_256_random_bits_in_base64url_and_only_their_hash_is_kept()
    {
        (string token, byte[] hash) = SessionTokens.Create();
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);
        Assert.Equal(32, hash.Length);
        Assert.Equal(hash, SessionTokens.HashOf(token));
        Assert.NotEqual(token, SessionTokens.Create().Token);
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Malformed_tokens_have_no_hash(string token) => Assert.Null(SessionTokens.HashOf(token));
}
