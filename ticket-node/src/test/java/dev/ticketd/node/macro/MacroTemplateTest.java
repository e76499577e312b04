package dev.ticketd.node.macro;

import dev.ticketd.desk.InvalidRequestException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

class MacroTemplateTest {

    @Test
    void everyKnownPlaceholderPassesWithOrWithoutSpacesInsideTheBraces() {
        assertThatCode(() -> MacroTemplate.check("{{customer.name}} {{ customer.email }} {{ticket.number}} {{ticket.subject}} "
                + "{{ticket.group}} {{agent.name}} {{agent.email}} and a lone {{ brace")).doesNotThrowAnyException();
    }

    @Test
    void anUnknownPlaceholderIsNamedWithTheKnownOnes() {
        assertThatThrownBy(() -> MacroTemplate.check("Hi {{customer.first_name}} and {{ticket.id}}"))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageStartingWith("body: unknown placeholder {{customer.first_name}} (and 1 more); the placeholders are {{customer.name}}");
    }

    @Test
    void valuesGoInLiterallyAndAreNotFilledAgain() {
        String filled = MacroTemplate.fill("Dear {{ customer.name }}, re {{ticket.subject}}",
                Map.of("customer.name", "$1 {{agent.name}} \\", "ticket.subject", "<script>"));

        assertThat(filled).isEqualTo("Dear $1 {{agent.name}} \\, re <script>");
    }
}
