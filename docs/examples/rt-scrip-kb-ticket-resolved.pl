# Request Tracker scrip action ("User Defined", custom action commit code) that tells kb a
# ticket was resolved. kb only records the notice and answers at once (202); its worker reads
# the ticket from RT afterwards, so the technician's page never waits for kb.
# Set in RT_SiteConfig.d/kb.pm:
#   Set($KBTicketResolvedURL, 'https://kb.example.org/api/v1/integrations/rt/ticket-resolved');
#   Set($KBScripSecret, 'the same value as kb's RT_SCRIP_SECRET');
my $url = RT->Config->Get('KBTicketResolvedURL') or return 1;
require LWP::UserAgent;
my $ua = LWP::UserAgent->new( timeout => 5, agent => 'rt-kb-scrip' );
my $response = $ua->post(
    $url,
    'Content-Type'   => 'application/json',
    'X-KB-RT-Secret' => RT->Config->Get('KBScripSecret') // '',
    Content          => sprintf( '{"ticket":%d,"transaction":%d}',
        $self->TicketObj->id, $self->TransactionObj->id ),
);
# kb also polls RT, so a resolution that could not be announced is picked up later.
RT->Logger->warning( 'kb was not told of the resolution: ' . $response->status_line )
    unless $response->is_success;
return 1;
