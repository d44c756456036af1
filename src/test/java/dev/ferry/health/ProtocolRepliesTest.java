package dev.ferry.health;

import dev.ferry.config.CheckBytes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 15 item 16d: what the protocol checks make of replies a healthy test server does not give (errors, partial
 * packets, other protocols). The exchanges with real servers are in ProtocolHealthChecksTest.
 */
class ProtocolRepliesTest {
    private static ByteBuf hex(String digits) {
        return Unpooled.wrappedBuffer(HexFormat.of().parseHex(digits.replace(" ", "")));
    }

    private static ByteBuf text(String s) {
        return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void redisPassesOnPongOnlyAndSaysWhatElseItGot() {
        RedisPong redis = new RedisPong();
        assertThat(redis.judge(text("+PON"))).isNull();
        assertThat(redis.judge(text("+PONG\r\n"))).isEqualTo(ProbeResult.pass("PONG"));
        assertThat(redis.judge(text("-LOADING Redis is loading the dataset in memory\r\n")))
                .isEqualTo(ProbeResult.fail("redis answered -LOADING Redis is loading the dataset in memory"));
        assertThat(redis.judge(text("-NOAUTH Authentication required.\r\n")).passed()).isFalse();
        assertThat(redis.closed(text("+PO")).reason())
                .isEqualTo("server closed the connection after 3 bytes, before answering PING");
    }

    @Test
    void pgsqlPassesOnEitherSslAnswerAndFailsWithTheErrorMessage() {
        PgsqlSslReply pg = new PgsqlSslReply();
        assertThat(pg.judge(text("S")).passed()).isTrue();
        assertThat(pg.judge(text("N")).passed()).isTrue();
        // E, length 4 + fields, S "FATAL", M "sorry, too many clients already", end
        String fields = "SFATAL\0Msorry, too many clients already\0\0";
        ByteBuf error = Unpooled.buffer().writeByte('E').writeInt(4 + fields.length())
                .writeBytes(fields.getBytes(StandardCharsets.US_ASCII));
        assertThat(pg.judge(error.slice(0, 10))).isNull();
        assertThat(pg.judge(error)).isEqualTo(ProbeResult.fail("pgsql refused: sorry, too many clients already"));
        assertThat(pg.judge(text("HTTP/1.1 400")).reason()).isEqualTo("not a PostgreSQL answer: 'HTTP/1.1 400'");
    }

    @Test
    void mysqlPassesOnAProtocol10GreetingAndFailsWithAnErrorPacketsMessage() {
        MysqlGreeting mysql = new MysqlGreeting();
        ByteBuf greeting = Unpooled.buffer().writeMediumLE(12).writeByte(0).writeByte(10)
                .writeBytes("8.0.36\0".getBytes(StandardCharsets.US_ASCII)).writeZero(4);
        assertThat(mysql.judge(greeting.slice(0, 8))).isNull();
        assertThat(mysql.judge(greeting)).isEqualTo(ProbeResult.pass("mysql 8.0.36"));
        String message = "Too many connections";
        ByteBuf error = Unpooled.buffer().writeMediumLE(3 + message.length()).writeByte(0).writeByte(0xff)
                .writeShortLE(1040).writeBytes(message.getBytes(StandardCharsets.US_ASCII));
        assertThat(mysql.judge(error)).isEqualTo(ProbeResult.fail("mysql refused: 1040 Too many connections"));
        assertThat(mysql.judge(text("SSH-2.0-OpenSSH_9.2\r\n")).reason())
                .isEqualTo("not a MySQL greeting (protocol 10): 'SSH-2.0-OpenSSH_9.2\\x0d\\x0a'");
        assertThat(mysql.judge(hex("0a000000 09")).reason())
                .isEqualTo("not a MySQL greeting (protocol 10): '\\x0a\\x00\\x00\\x00\\x09'");
    }

    @Test
    void expectedBytesAreFoundAnywhereInTheReplyEvenAcrossReads() {
        ExpectedBytes expect = new ExpectedBytes(CheckBytes.ofText("220 "));
        assertThat(expect.judge(text("220"))).isNull();
        assertThat(expect.judge(text("xx220 mail.example ESMTP\r\n"))).isEqualTo(ProbeResult.pass("reply contains '220 '"));
        assertThat(expect.closed(text("554 go away\r\n")).reason())
                .isEqualTo("server closed the connection; its reply '554 go away\\x0d\\x0a' does not contain '220 '");
        assertThat(expect.closed(Unpooled.EMPTY_BUFFER).reason())
                .isEqualTo("server closed the connection without a reply (expected '220 ')");
    }
}
